"""A notification rule with the feedback trigger: members' mail carries the reporter's email;
other addresses and webhooks do not, unless the rule says so for webhooks. Real SMTP server
and webhook receiver; the feedback goes through the real edge, queue and worker."""

import pytest

from alerts.models import Delivery, NotificationRule
from events.processing import drain
from projects.models import Membership
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)

from .test_feedback import feedback_envelope, post_envelope, store_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(db):
    org = OrganizationFactory(slug="acme")
    MembershipFactory(user=UserFactory(username="ann", email="ann@acme.test"), organization=org,
                      role=Membership.Role.MEMBER)  # fmt: skip
    project = ProjectFactory(organization=org, slug="web")
    project.alert_rules.all().delete()
    return project


def rule(project, url, email_in_hook):
    return NotificationRule.objects.create(
        project=project, name=f"feedback {email_in_hook}", on_feedback=True,
        email_to=NotificationRule.EmailTo.ALL_MEMBERS, email_addresses=["ops@outside.test"],
        webhook_url=url, feedback_email_in_webhook=email_in_hook,
    )  # fmt: skip


@pytest.mark.parametrize("email_in_hook", [False, True])
def test_feedback_rule_notifies_and_keeps_the_email_private(
    client, project, ingest_queue, smtp_server, webhook_server, fast_retries,
    django_capture_on_commit_callbacks, email_in_hook,
):  # fmt: skip
    rule(project, webhook_server.url, email_in_hook)
    key = project.keys.get()
    event_id, issue = store_error(client, key)
    body = feedback_envelope(message="Checkout <b>hangs</b>", about=event_id, name="Jane",
                             contact_email="jane@example.com")  # fmt: skip
    assert post_envelope(client, key, body).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        drain.process_batch()

    deliveries = Delivery.objects.filter(reason="feedback", issue=issue)
    assert deliveries.count() == 3 and {d.status for d in deliveries} == {"sent"}
    texts = {}
    for message in smtp_server.wait_for(2):
        parts = [p.get_content() for p in message.walk() if p.get_content_type() == "text/plain"]
        texts[str(message["To"])] = "".join(parts)
    assert "jane@example.com" in texts["ann@acme.test"]
    assert "Checkout <b>hangs</b>" in texts["ann@acme.test"]
    assert "jane@example.com" not in texts["ops@outside.test"]
    assert "Checkout <b>hangs</b>" in texts["ops@outside.test"]
    (hook,) = webhook_server.requests
    assert hook["json"]["feedback"]["message"] == "Checkout <b>hangs</b>"
    assert ("email" in hook["json"]["feedback"]) is email_in_hook
    assert ("jane@example.com" in hook["body"].decode()) is email_in_hook
    assert "&lt;b&gt;hangs" in hook["json"]["text"]  # Slack's escaping


def test_feedback_without_a_rule_or_issue_sends_nothing(
    client, project, ingest_queue, django_capture_on_commit_callbacks
):
    key = project.keys.get()
    NotificationRule.objects.create(project=project, name="new issues", on_new_issue=True)
    with django_capture_on_commit_callbacks(execute=True):
        post_envelope(client, key, feedback_envelope(message="no event"))
        drain.process_batch()
    assert not Delivery.objects.filter(reason="feedback").exists()
