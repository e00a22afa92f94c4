"""bench/cleanup_load.py's fill on the real database: the copies are whole events of the old
project's issues, older than the cleanup's cutoff, counted as the write path counts, and
the cleanup takes every one of them (and leaves the bench project's alone)."""

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from bench import cleanup_load
from events.models import Event, Issue
from events.processing import prepare, store
from events.queue import QueuedPayload
from tests.support.factories import ProjectFactory
from tests.support.payloads import envelope, python_error

pytestmark = pytest.mark.django_db


def test_fill_copies_old_events_consistently_and_cleanup_takes_them(monkeypatch):
    monkeypatch.setattr(cleanup_load, "ROWS_PER_STATEMENT", 40)  # several statements
    bench = ProjectFactory()
    filled = cleanup_load.fill(bench.pk, 205, groups=5, log=lambda line: None)
    old = filled["old_project_id"]
    events = Event.objects.filter(project_id=old)
    assert filled["old_events"] == events.count() >= 205
    assert events.values("event_id").distinct().count() == events.count()
    assert not events.filter(timestamp__gt=timezone.now() - timedelta(days=29)).exists()
    issues = Issue.objects.filter(project_id=old)
    assert issues.count() == 5
    for issue in issues:
        n = events.filter(issue=issue).count()
        assert issue.stored_count == issue.times_seen == n > 1
    assert cleanup_load.remaining(old) == events.count()
    event = events.order_by("-id").first()
    assert event.data["exception"]["values"]  # a whole event, readable as the page reads it

    event = python_error()
    fresh = QueuedPayload(bench.pk, event["event_id"], time.time(), "envelope", "",
                          envelope(event), None)  # fmt: skip
    store.store_batch([prepare.prepare(fresh)])  # the burst's project: nothing of it is old
    out = StringIO()
    call_command("cleanup", "--days", "7", stdout=out)
    assert f"Deleted {filled['old_events']} events and 5 issues" in out.getvalue()
    assert not events.exists() and not Issue.objects.filter(project_id=old).exists()
    assert Event.objects.filter(project=bench).count() == 1
    assert cleanup_load.remaining(old) == 0
