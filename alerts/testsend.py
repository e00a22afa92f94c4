""" "Send test notification" in the rule editor: one email or webhook POST, now, through the
same code a real alert takes (`deliver._send_email` / `_send_webhook`: the same message, the
same SMTP settings, the same webhook guard), clearly marked as a test and recorded nowhere.

It is about the project's newest issue (a made-up one when there is none yet), so the test
shows what an alert of this project looks like.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from events.models import Issue

from . import deliver, emails, webhooks
from .models import Delivery, NotificationRule

TEST_MARK = "[TEST]"
TEST_NOTE = "This is a test notification sent from the rule editor; no issue triggered it."


@dataclass
class Outcome:
    ok: bool
    text: str  # what the page shows


def sample_issue(project) -> Issue:
    issue = Issue.objects.filter(project=project).order_by("-last_seen", "-id").first()
    if issue is not None:
        return issue
    now = timezone.now()
    return Issue(  # never saved; pk 0 so links can be built
        pk=0, project=project, title="Test notification: what an alert looks like",
        culprit="rule editor", level="error", first_seen=now, last_seen=now, times_seen=1,
        short_number=0,
    )  # fmt: skip


def email_targets(data: dict, project) -> list[str]:
    """The addresses the rule as entered (not yet saved) would mail."""
    User = get_user_model()
    members = User.objects.filter(
        memberships__organization_id=project.organization_id, is_active=True
    ).exclude(email="")
    if data.get("email_to") == NotificationRule.EmailTo.ALL_MEMBERS:
        users = list(members.order_by("pk"))
    elif data.get("email_to") == NotificationRule.EmailTo.CHOSEN:
        chosen = [u.pk for u in data.get("email_members") or []]
        users = list(members.filter(pk__in=chosen).order_by("pk"))
    else:
        users = []
    return list(dict.fromkeys([u.email for u in users] + list(data.get("email_addresses") or [])))


def send_email(data: dict, project) -> Outcome:
    targets = email_targets(data, project)
    if not targets:
        return Outcome(False, "No recipients: choose members or enter addresses first.")
    issue = sample_issue(project)
    sent, failed = [], []
    for address in targets:
        delivery = _delivery(data, project, issue, Delivery.Channel.EMAIL, address)
        message = emails.build(delivery, issue, deliver._newest_event_data(delivery))
        message.subject = f"{TEST_MARK} {message.subject}"
        message.body = f"{TEST_NOTE}\n\n{message.body}"
        html, mimetype = message.alternatives[0]
        message.alternatives = []
        message.attach_alternative(f"<p><strong>{TEST_NOTE}</strong></p>{html}", mimetype)
        # A message of its own: not threaded with the real alerts of the issue.
        message.extra_headers["Message-ID"] = f"<test-{uuid.uuid4().hex}@{emails._domain()}>"
        message.extra_headers.pop("In-Reply-To", None)
        message.extra_headers.pop("References", None)
        try:
            deliver.send_message(message)
            sent.append(address)
        except (deliver.Refused, deliver.Transient) as exc:
            failed.append(f"{address}: {exc}")
    if failed:
        return Outcome(False, "Not sent to " + "; ".join(failed) + (
            f". Sent to {', '.join(sent)}." if sent else ""))  # fmt: skip
    return Outcome(True, f"Test email sent to {', '.join(sent)}.")


def send_webhook(data: dict, project) -> Outcome:
    url = data.get("webhook_url") or ""
    if not url:
        return Outcome(False, "No webhook URL: enter one first.")
    issue = sample_issue(project)
    delivery = _delivery(data, project, issue, Delivery.Channel.WEBHOOK, url)
    body = deliver.webhook_body(delivery)
    body["text"] = f"{TEST_MARK} {body['text']}"
    body["test"] = True
    try:
        status = webhooks.post(url, body)
    except (webhooks.Refused, webhooks.Transient) as exc:
        return Outcome(False, f"Webhook test failed: {exc}")
    return Outcome(True, f"Test POST answered {status} by {delivery.shown_target()}")


def _delivery(data, project, issue, channel, target) -> Delivery:
    return Delivery(  # not saved: a test is recorded nowhere
        rule_name=f"{data.get('name') or 'new rule'} (test)", project=project, issue=issue,
        reason=Delivery.Reason.NEW_ISSUE, channel=channel, target=target,
    )  # fmt: skip
