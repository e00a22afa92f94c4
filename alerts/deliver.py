"""Send one recorded delivery and record how it went. The task decides about retries."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from events.models import Event

from . import emails, webhooks
from .models import Delivery

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=15)

Transient = webhooks.Transient
Refused = webhooks.Refused


def _newest_event_data(delivery: Delivery) -> dict | None:
    events = Event.objects.filter(project_id=delivery.project_id, issue_id=delivery.issue_id)
    event = (
        events.filter(event_id=delivery.event_id).first() if delivery.event_id else None
    ) or events.order_by("-timestamp", "-id").first()
    return event.data if event is not None else None


def _send_email(delivery: Delivery) -> None:
    send_message(emails.build(delivery, delivery.issue, _newest_event_data(delivery)))


def send_message(message) -> None:
    """Send one email; Refused for a refused recipient, Transient for anything else."""
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise Refused(f"recipient refused: {exc.recipients}"[:500]) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise Transient(f"{type(exc).__name__}: {exc}") from exc


def webhook_body(delivery: Delivery) -> dict:
    issue = delivery.issue
    body = webhooks.payload(
        issue=issue, project=issue.project, reason_label=delivery.get_reason_display(),
        rule_name=delivery.rule_name, issue_url=emails.issue_url(issue),
    )  # fmt: skip
    if delivery.reason == Delivery.Reason.FEEDBACK:  # email only if evaluate put it there
        body["feedback"] = delivery.feedback
        body["text"] += "\n> " + webhooks.slack_escape(delivery.feedback.get("message", ""))[:500]
    return body


def _send_webhook(delivery: Delivery) -> None:
    webhooks.post(delivery.target, webhook_body(delivery))


def _finish(
    delivery_id: int, status: str, error: str | None = None, channel: str | None = None
) -> None:
    # A success keeps the error of an earlier attempt: it shows why it took several.
    fields = {"status": status, "finished": timezone.now()}
    if error is not None:
        fields["last_error"] = error[:500]
    if Delivery.objects.filter(pk=delivery_id).update(**fields):
        if channel is None:
            channel = Delivery.objects.filter(pk=delivery_id).values_list("channel", flat=True)[0]
        from aggregator import metrics  # here: importing the app writes no files

        metrics.DELIVERIES.labels(channel, status).inc()


def attempt(delivery_id: int) -> None:
    """One try. Marks the delivery sent, or failed on a permanent error; raises Transient
    (with the error recorded, still pending) when another try may help."""
    delivery = (
        Delivery.objects.select_related("issue__project__organization", "user")
        .filter(pk=delivery_id, status=Delivery.Status.PENDING)
        .first()
    )
    if delivery is None:
        return  # done already (a redelivered task message) or deleted with its issue
    # Optimistic claim: of two copies of the task running at once, one goes on.
    if not Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1):
        return
    try:
        if delivery.channel == Delivery.Channel.EMAIL:
            _send_email(delivery)
        else:
            _send_webhook(delivery)
    except Refused as exc:
        _finish(delivery_id, Delivery.Status.FAILED, str(exc), delivery.channel)
        log.warning("delivery %s failed: %s", delivery_id, exc)
        return
    except Transient as exc:
        Delivery.objects.filter(pk=delivery_id).update(last_error=str(exc)[:500])
        raise
    _finish(delivery_id, Delivery.Status.SENT, channel=delivery.channel)


def give_up(delivery_id: int, error: str) -> None:
    _finish(delivery_id, Delivery.Status.FAILED, f"gave up: {error}")


def stuck(now: datetime | None = None) -> list[int]:
    """Deliveries never tried long after they were recorded: their send task was lost (the
    broker went away between the evaluation's commit and the queueing)."""
    cutoff = (now or timezone.now()) - STUCK_AFTER
    return list(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING, attempts=0, created__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
