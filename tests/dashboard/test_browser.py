"""The dashboard in system Chromium against the real server: the everyday triage flow.

Screenshots land in artifacts/ (gitignored): issue_list.png and issue_page.png.
"""

import pytest

from tests.dashboard.browser import ARTIFACTS, browser, live_web  # noqa: F401 (fixtures)
from tests.dashboard.conftest import store
from tests.dashboard.test_views import rich_error
from tests.factories import MembershipFactory, OrganizationFactory, ProjectFactory, UserFactory
from tests.payloads import message_event, python_error

pytestmark = pytest.mark.e2e


def log_in(page, base, username):
    page.goto(base + "/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    # Script errors and CSP violations show as console errors; a 404 page itself is expected.
    page.on(
        "console",
        lambda m: m.type == "error" and "status of 404" not in m.text and problems.append(m.text),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: r.request.resource_type != "document" and r.status >= 400
            and problems.append(f"{r.status} {r.url}"))  # fmt: skip
    yield page
    context.close()
    assert not problems, problems


def test_log_in_search_open_expand_and_resolve(live_web, page, transactional_db, ingest_queue):  # noqa: F811
    org = OrganizationFactory(name="Acme", slug="acme")
    MembershipFactory(user=UserFactory(username="alice"), organization=org, role="owner")
    project = ProjectFactory(organization=org, name="Shop backend", slug="shop")
    store(project, rich_error(), rich_error(), python_error(type_="TimeoutError", value="upstream took 30s"),
          message_event(message="Payment provider slow: %s ms", params=["950"]),
          python_error(type_="ZeroDivisionError", value="division by zero", environment="staging"))  # fmt: skip

    log_in(page, live_web, "alice")
    page.click("text=Shop backend")
    page.wait_for_selector("table.issues")
    assert page.locator("table.issues tbody tr").count() == 4
    page.screenshot(path=str(ARTIFACTS / "issue_list.png"), full_page=True)

    page.fill("input[name=q]", "KeyError")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=KeyError**")
    rows = page.locator("table.issues tbody tr")
    assert rows.count() == 1
    rows.first.locator("td.title a").click()

    page.wait_for_selector("h1.title")
    assert "KeyError" in page.inner_text("h1.title")
    system_frame = page.locator("details.frame.system").first
    assert system_frame.get_attribute("open") is None
    system_frame.locator("summary").click()
    assert system_frame.get_attribute("open") == ""
    app_frame = page.locator("details.frame.app[open]").first
    app_frame.locator("details.vars summary").click()
    assert app_frame.locator("details.vars table.kv").is_visible()
    assert "session" in app_frame.locator("details.vars").inner_text()
    page.screenshot(path=str(ARTIFACTS / "issue_page.png"), full_page=True)

    page.click("button[value=resolve]")
    page.wait_for_selector("#issue-status.resolved")
    assert "resolved the issue" in page.inner_text(".activity")
    page.click("nav.crumbs >> text=Shop backend")
    page.wait_for_selector("table.issues")
    assert "KeyError" not in page.inner_text("table.issues")
    assert page.locator("table.issues tbody tr").count() == 3


def test_another_organizations_issue_is_404(live_web, page, transactional_db, ingest_queue):  # noqa: F811
    theirs = ProjectFactory(organization=OrganizationFactory(slug="theirs"), slug="secret")
    issue = store(theirs, python_error(type_="SecretError"))[0]
    mine = OrganizationFactory(slug="mine")
    MembershipFactory(user=UserFactory(username="mallory"), organization=mine)
    log_in(page, live_web, "mallory")
    for path in [f"/issues/{issue.pk}/", "/orgs/theirs/projects/secret/", "/orgs/theirs/"]:
        response = page.goto(live_web + path)
        assert response.status == 404, path
        assert "SecretError" not in page.content()
