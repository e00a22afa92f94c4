"""The dashboard in system Chromium against the real server: the everyday triage flow.

Screenshots land in artifacts/ (gitignored): issue_list.png and issue_page.png.
"""

import pytest

from tests.events.dashboard.test_views import rich_error
from tests.support.browser import ARTIFACTS, log_in
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.support.payloads import message_event, python_error
from tests.support.world import store

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]


def test_log_in_search_open_expand_and_resolve(live_web, page, transactional_db, ingest_queue):
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


def test_another_organizations_issue_is_404(live_web, page, transactional_db, ingest_queue):
    theirs = ProjectFactory(organization=OrganizationFactory(slug="theirs"), slug="secret")
    issue = store(theirs, python_error(type_="SecretError"))[0]
    mine = OrganizationFactory(slug="mine")
    MembershipFactory(user=UserFactory(username="mallory"), organization=mine)
    log_in(page, live_web, "mallory")
    for path in [f"/issues/{issue.pk}/", "/orgs/theirs/projects/secret/", "/orgs/theirs/"]:
        response = page.goto(live_web + path)
        assert response.status == 404, path
        assert "SecretError" not in page.content()
