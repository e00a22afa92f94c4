"""The worker's part: event filters before grouping, and accepted / filtered / invalid
counted in the batch transaction."""

import json
import time

import pytest

from events.models import Event, FailedPayload, Issue
from events.processing import drain
from events.queue import QueuedPayload, get_queue
from tests.support.factories import ProjectFactory
from tests.support.payloads import python_error

from .conftest import counts

pytestmark = pytest.mark.django_db


def push(project, event, body=None):
    get_queue().push(
        QueuedPayload(
            project.id, event["event_id"], time.time(), "store", "",
            body if body is not None else json.dumps(event).encode(), "10.0.0.1",
        )
    )  # fmt: skip


def drain_all():
    while drain.process_batch():
        pass


def test_filtered_events_are_counted_not_stored_nor_grouped(ingest_queue):
    project = ProjectFactory(
        filter_messages="*database timeout*", filter_releases="*-beta", filter_localhost=True
    )
    kept = [python_error(value="disk full"), python_error(release="2.0")]
    dropped = [
        python_error(value="database timeout after 30s"),
        python_error(release="2.0-beta"),
        python_error(request={"url": "http://127.0.0.1:8000/"}),
    ]
    for event in kept + dropped:
        push(project, event)
    drain_all()
    stored = set(Event.objects.filter(project=project).values_list("event_id", flat=True))
    assert stored == {e["event_id"] for e in kept}
    assert Issue.objects.filter(project=project).count() == 1  # none made for the dropped
    assert counts(project) == {
        ("error", "accepted", ""): 2,
        ("error", "filtered", "error-message"): 1,
        ("error", "filtered", "release-version"): 1,
        ("error", "filtered", "localhost"): 1,
    }


def test_invalid_payloads_and_redeliveries_count_once(ingest_queue):
    project = ProjectFactory()
    event = python_error()
    push(project, event)
    push(project, {"event_id": "a" * 32}, body=b"\x00not json at all")
    drain_all()
    push(project, event)  # the same event again: stored once, counted once
    drain_all()
    assert FailedPayload.objects.filter(project_id=project.id).count() == 1
    assert counts(project) == {("error", "accepted", ""): 1, ("error", "invalid", "bad_payload"): 1}


def test_projects_without_filters_cost_no_filter_work(ingest_queue):
    assert drain._filters(False, False, False, False, "", "", "") is None
    assert drain._filters(True, False, False, False, "", "", "") is not None


def test_an_event_the_batch_write_cannot_store_counts_as_invalid(ingest_queue, monkeypatch):
    project = ProjectFactory()
    good, poisoned = python_error(), python_error()
    real = drain.store.store_batch

    def store_batch(events):
        if any(e.event_id == poisoned["event_id"] for e in events):
            raise ValueError("a bug of ours")
        return real(events)

    monkeypatch.setattr(drain.store, "store_batch", store_batch)
    push(project, good)
    push(project, poisoned)
    drain_all()
    assert FailedPayload.objects.filter(project_id=project.id).count() == 1
    assert counts(project) == {
        ("error", "accepted", ""): 1,
        ("error", "invalid", "internal_error"): 1,
    }


def test_events_past_the_issue_cap_are_accepted_counted_not_stored(ingest_queue, settings):
    """Past the per-issue cap an event is counted on its issue and only sampled into
    storage: it was accepted, so every event sent ends as exactly one accepted outcome."""
    settings.INGEST_BATCH_SIZE = 7  # several batches, the cap reached in the middle of one
    project = ProjectFactory(events_per_issue=5)
    sent = [python_error() for _ in range(30)] + [python_error(value="other", type_="KeyError")]
    for event in sent:
        push(project, event)
    drain_all()
    storm, other = Issue.objects.filter(project=project).order_by("-times_seen")
    assert (storm.times_seen, other.times_seen) == (30, 1)
    assert storm.stored_count == Event.objects.filter(issue=storm).count() <= 5
    assert counts(project) == {("error", "accepted", ""): len(sent)}
    push(project, sent[-1])  # a stored event sent again: no second outcome
    drain_all()
    assert counts(project) == {("error", "accepted", ""): len(sent)}
