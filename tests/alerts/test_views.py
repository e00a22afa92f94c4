"""The rules page: members read, admins edit, strangers get 404."""

import pytest
from django.urls import reverse

from alerts.models import Delivery, NotificationRule
from tests.support.payloads import python_error

VALID = {
    "name": "Checkout spikes", "enabled": "on", "on_frequency": "on", "frequency_count": "50",
    "frequency_minutes": "5", "min_level": "error", "environments": "production, staging",
    "release": "shop@2.*", "tag_key": "customer", "tag_value": "acme",
    "text_contains": "checkout", "email_to": "chosen", "email_addresses": "ops@example.org",
    "webhook_url": "https://hooks.slack.com/services/T000/B000/XXXX", "throttle_minutes": "15",
}  # fmt: skip


def url(name, project, *args):
    return reverse(f"alerts:{name}", args=[project.organization.slug, project.slug, *args])


def test_members_see_the_rules_read_only(client, bob, project):
    client.force_login(bob)
    response = client.get(url("rules", project))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Email members about new issues and regressions" in html
    assert "new issue, regression" in html
    assert url("rule-new", project) not in html and "Delete" not in html
    rule = project.alert_rules.get()
    # Members see the project, so they are told why (403), unlike strangers (404).
    assert client.get(url("rule-new", project)).status_code == 403
    assert client.get(url("rule-edit", project, rule.pk)).status_code == 403
    assert client.post(url("rule-delete", project, rule.pk)).status_code == 403
    assert project.alert_rules.exists()


def test_strangers_get_404_everywhere(client, charlie, project):
    client.force_login(charlie)
    rule = project.alert_rules.get()
    for response in (client.get(url("rules", project)), client.get(url("rule-new", project)),
                     client.get(url("rule-edit", project, rule.pk)),
                     client.post(url("rule-delete", project, rule.pk))):  # fmt: skip
        assert response.status_code == 404
    assert client.get(reverse("alerts:rules", args=["org-a", "nope"])).status_code == 404


def test_an_admin_creates_a_rule(client, alice, bob, project):
    client.force_login(alice)
    response = client.post(url("rule-new", project), {**VALID, "email_members": [bob.pk]})
    assert response.status_code == 302
    rule = NotificationRule.objects.get(name="Checkout spikes")
    assert rule.project == project and rule.on_frequency and not rule.on_new_issue
    assert (rule.frequency_count, rule.frequency_minutes, rule.throttle_minutes) == (50, 5, 15)
    assert rule.environments == ["production", "staging"]
    assert rule.email_addresses == ["ops@example.org"]
    assert list(rule.email_members.all()) == [bob]
    assert rule.webhook_url.startswith("https://hooks.slack.com/")
    html = client.get(url("rules", project)).content.decode()
    assert "Checkout spikes" in html and "50 events in 5 min" in html


def test_an_admin_edits_and_deletes_a_rule(client, alice, project):
    client.force_login(alice)
    rule = project.alert_rules.get()
    edit = client.get(url("rule-edit", project, rule.pk))
    assert edit.status_code == 200 and "Every event can mean" in edit.content.decode()
    data = {"name": "Renamed", "on_regression": "on", "email_to": "all", "throttle_minutes": "5"}
    assert client.post(url("rule-edit", project, rule.pk), data).status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.on_new_issue, rule.on_regression) == ("Renamed", False, True)
    assert client.post(url("rule-delete", project, rule.pk)).status_code == 302
    assert not project.alert_rules.exists()


@pytest.mark.parametrize(
    "change, error",
    [({"on_frequency": ""}, "Choose at least one trigger."),
     ({"frequency_count": ""}, "Needed for the frequency trigger."),
     ({"frequency_minutes": "5000"}, "less than or equal to 1440"),
     ({"email_addresses": "not-an-address"}, "is not an email address"),
     ({"email_members": []}, "Choose at least one member."),
     ({"webhook_url": "ftp://example.com/x"}, "only http and https"),
     ({"webhook_url": "http://127.0.0.1:9000/x"}, "Private, loopback"),
     ({"webhook_url": "http://localhost:8000/admin/"}, "this app itself"),
     ({"email_to": "", "email_addresses": "", "webhook_url": ""}, "at least one action"),
     ({"tag_key": ""}, "Name the tag"),
     ({"throttle_minutes": "-1"}, "greater than or equal to 0"),
     ({"email_to": "everyone"}, "Select a valid choice")],
)  # fmt: skip
def test_bad_input_shows_errors_not_a_500(client, alice, bob, project, change, error):
    client.force_login(alice)
    data = {**VALID, "email_members": [bob.pk], **change}
    response = client.post(url("rule-new", project), data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not NotificationRule.objects.filter(name="Checkout spikes").exists()


def test_another_orgs_user_cannot_be_chosen(client, alice, charlie, project):
    client.force_login(alice)
    response = client.post(url("rule-new", project), {**VALID, "email_members": [charlie.pk]})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_rules_of_another_project_are_404(client, alice, project):
    from tests.support.factories import ProjectFactory

    other = ProjectFactory()
    client.force_login(alice)
    foreign = other.alert_rules.get()
    assert client.get(url("rule-edit", project, foreign.pk)).status_code == 404
    assert client.post(url("rule-delete", project, foreign.pk)).status_code == 404
    assert NotificationRule.objects.filter(pk=foreign.pk).exists()


def test_deliveries_show_on_the_issue_page_and_the_rules_page(
    client, alice, bob, project, store_events
):
    project.alert_rules.update(webhook_url="https://hooks.example.com/secret-token-123")
    (issue,) = store_events(project, python_error(value="<b>bold</b>"))
    assert Delivery.objects.filter(issue=issue).count() == 3  # 2 emails and the webhook
    client.force_login(bob)
    for page in (reverse("events:issue", args=[issue.pk]), url("rules", project)):
        html = client.get(page).content.decode()
        assert "bob@example.com" in html and "alice@example.com" in html
        assert "https://hooks.example.com/…" in html
        assert "secret-token-123" not in html  # members never see the webhook's token
        assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in client.get(url("rules", project)).content.decode()


def test_the_settings_page_links_to_the_rules(client, alice, project):
    client.force_login(alice)
    html = client.get(reverse("projects:settings", args=["org-a", "backend"])).content.decode()
    assert url("rules", project) in html
