"""Browser checks of the first-hour fixes: assigning applies on selection (and still works
without JavaScript), and the search box finds an issue by its short id."""

import pytest

from digests.models import DigestRecord
from events.models import Issue
from tests.support.browser import log_in
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.support.payloads import python_error
from tests.support.world import store

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]


@pytest.fixture
def shop(transactional_db, ingest_queue):
    org = OrganizationFactory(name="Acme", slug="acme")
    MembershipFactory(user=UserFactory(username="alice"), organization=org, role="owner")
    MembershipFactory(user=UserFactory(username="bob"), organization=org)
    project = ProjectFactory(organization=org, name="Web Shop", slug="web-shop")
    issues = store(project, python_error(type_="KeyError"), python_error(type_="TypeError"))
    return project, issues


def test_choosing_an_assignee_applies_at_once(live_web, page, shop):
    _project, issues = shop
    issue = issues[0]
    log_in(page, live_web, "alice")
    page.goto(f"{live_web}/issues/{issue.pk}/")
    assert not page.locator(".actions button:has-text('Assign')").is_visible()
    with page.expect_navigation():
        page.select_option("#assignee", label="bob")
    assert page.locator("#assignee option:checked").inner_text() == "bob"
    assert Issue.objects.get(pk=issue.pk).assignee.username == "bob"
    assert "bob" in page.inner_text(".activity")


def test_assigning_without_javascript_uses_the_button(live_web, browser, shop):
    _project, issues = shop
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_web, "alice")
        page.goto(f"{live_web}/issues/{issues[1].pk}/")
        page.select_option("#assignee", label="alice")
        page.click(".actions button:has-text('Assign')")
        page.wait_for_load_state()
        assert Issue.objects.get(pk=issues[1].pk).assignee.username == "alice"
    finally:
        context.close()


def test_the_search_box_finds_a_short_id(live_web, page, shop):
    project, issues = shop
    wanted = Issue.objects.select_related("project").get(pk=issues[1].pk)
    Issue.objects.filter(pk=wanted.pk).update(status=Issue.Status.RESOLVED)
    log_in(page, live_web, "alice")
    page.click("text=Web Shop")
    page.wait_for_selector("table.issues")
    assert wanted.short_id not in page.inner_text("table.issues")  # resolved: not listed
    page.fill("input[name=q]", wanted.short_id.lower())
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=**")
    rows = page.locator("table.issues tbody tr")
    assert rows.count() == 1
    assert wanted.short_id in rows.first.inner_text()
    rows.first.locator("td.title a").click()
    page.wait_for_selector("#short-id")
    assert page.inner_text("#short-id") == wanted.short_id


def test_digest_settings_show_what_applies_and_send_a_digest_now(live_web, page, shop):
    log_in(page, live_web, "alice")
    page.goto(f"{live_web}/notifications/settings/")
    hour, weekday = page.locator("#id_digest_hour"), page.locator("#id_digest_weekday")
    assert page.locator("#id_digest_frequency").input_value() == "daily"
    assert hour.is_visible() and not weekday.is_visible()
    page.select_option("#id_digest_frequency", "weekly")
    assert hour.is_visible() and weekday.is_visible()
    page.select_option("#id_digest_frequency", "hourly")
    assert not hour.is_visible() and not weekday.is_visible()

    page.click("#digest-now")
    page.wait_for_selector(".messages")
    assert "Digest sent to alice@example.com: 2 issue(s)" in page.inner_text(".messages")
    (record,) = DigestRecord.objects.filter(user__username="alice")
    assert record.issue_count == 2 and record.sent_at is not None
    page.click("#digest-now")  # at once again: nothing new, nothing sent twice
    page.wait_for_selector(".messages >> text=Nothing new")
    assert DigestRecord.objects.filter(user__username="alice").count() == 1
