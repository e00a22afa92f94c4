"""Saving feedback and linking it to its issue: by the event id, now if the event is
stored, else when it is (feedback/receivers.py)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from events import signals
from events.models import Event

from .models import Feedback
from .wire import FeedbackData


def save(project_id: int, data: FeedbackData, received: datetime) -> Feedback | None:
    """Store one feedback (None if this feedback id was stored before); the signal for
    notification rules goes out after commit, once it is on an issue."""
    issue_id = None
    if data.event_id:
        issue_id = (
            Event.objects.filter(project_id=project_id, event_id=data.event_id)
            .values_list("issue_id", flat=True)
            .first()
        )
    found = Feedback.objects.filter(project_id=project_id, feedback_id=data.feedback_id)
    if found.exists():
        return None
    Feedback.objects.bulk_create(
        [Feedback(
            project_id=project_id, feedback_id=data.feedback_id, event_id=data.event_id,
            issue_id=issue_id, message=data.message, name=data.name, email=data.email,
            url=data.url, environment=data.environment, release=data.release,
            source=data.source, received=received,
        )],
        ignore_conflicts=True,  # a concurrent redelivery won: it is stored once either way
    )  # fmt: skip
    stored = found.first()
    if stored is not None and issue_id is not None:
        announce([stored.pk])
    return stored


def announce(feedback_ids: list[int]) -> None:
    """Tell notification rules (events.signals.feedback_received) after commit."""

    def send():
        rows = list(
            Feedback.objects.filter(pk__in=feedback_ids, issue__isnull=False).values(
                "id", "project_id", "issue_id", "event_id", "message", "name", "email", "url"
            )
        )
        if rows:
            signals.feedback_received.send_robust(sender=Feedback, feedback=rows)

    transaction.on_commit(send)


def attach(pairs: list[tuple[int, str, int]]) -> list[int]:
    """(project id, event id, issue id) of newly stored events: pending feedback about them
    gets its issue. One indexed query when nothing waits, which is nearly always."""
    wanted = {(p, e): i for p, e, i in pairs}
    pending = Feedback.objects.filter(
        issue__isnull=True, event_id__in={e for _p, e in wanted}
    ).exclude(event_id="")
    attached = []
    for pk, project_id, event_id in pending.values_list("pk", "project_id", "event_id"):
        issue_id = wanted.get((project_id, event_id))
        if issue_id is not None:  # the same event id in another project is not this one
            Feedback.objects.filter(pk=pk, issue__isnull=True).update(issue_id=issue_id)
            attached.append(pk)
    return attached
