"""The rule editor in system Chromium against the real server (screenshots in artifacts/)."""

import pytest

from alerts.models import NotificationRule
from projects.models import Membership
from tests.support.browser import ARTIFACTS, log_in
from tests.support.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.support.payloads import python_error
from tests.support.world import store

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]


def test_an_admin_adds_a_rule_and_sees_deliveries(live_web, page, transactional_db, ingest_queue):
    owner = MembershipFactory(user=UserFactory(username="olga"), role=Membership.Role.OWNER)
    project = ProjectFactory(organization=owner.organization, name="Shop", slug="shop")
    (issue,) = store(project, python_error())  # the default rule mails olga
    log_in(page, live_web, "olga")
    org = owner.organization.slug

    page.goto(f"{live_web}/orgs/{org}/projects/shop/settings/")
    page.click("text=notification rules and recent notifications")
    assert page.locator(f"#rule-{project.alert_rules.get().pk}").is_visible()
    assert page.locator("table.deliveries").inner_text().count("olga@example.com") == 1
    page.screenshot(path=str(ARTIFACTS / "alert_rules.png"), full_page=True)

    page.click("text=New rule")
    page.fill("#id_name", "Spikes to chat")
    page.click("button:has-text('Save rule')")
    assert "Choose at least one trigger." in page.locator(".error").first.inner_text()
    page.check("#id_on_frequency")
    page.fill("#id_frequency_count", "100")
    page.fill("#id_frequency_minutes", "5")
    page.fill("#id_webhook_url", "https://chat.example.com/hooks/xyz")
    page.screenshot(path=str(ARTIFACTS / "alert_rule_form.png"), full_page=True)
    page.click("button:has-text('Save rule')")
    page.wait_for_url(f"{live_web}/orgs/{org}/projects/shop/rules/")
    assert "Spikes to chat" in page.locator("table.rules").inner_text()
    rule = NotificationRule.objects.get(name="Spikes to chat")
    assert (rule.frequency_count, rule.frequency_minutes, rule.on_new_issue) == (100, 5, False)

    page.goto(f"{live_web}/issues/{issue.pk}/")
    assert "olga@example.com" in page.locator("ul.deliveries").inner_text()
    page.screenshot(path=str(ARTIFACTS / "alert_issue_page.png"), full_page=True)
