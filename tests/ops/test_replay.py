"""Failed payloads: one format whatever failed them, and replay that stores exactly once."""

import time

import orjson
import pytest
from django.core.management import CommandError, call_command

from events.models import Event, FailedPayload
from events.processing import drain, prepare, store
from events.queue import QueuedPayload
from ops import replay
from tests.support.factories import ProjectFactory
from tests.support.payloads import envelope, gz, python_error

pytestmark = pytest.mark.django_db


def push(queue, project, event, encoding="") -> bytes:
    body = envelope(event)
    if encoding == "gzip":
        body = gz(body)
    queue.push(QueuedPayload(project.id, event["event_id"], time.time(), "envelope", encoding,
                             body, "10.0.0.1"))  # fmt: skip
    return body


@pytest.fixture
def buggy_prepare(monkeypatch):
    """A bug of ours in a processing step, fixed when the fixture's `fix()` is called."""
    real = prepare.prepare

    def broken(payload, *_args):
        raise RuntimeError("simulated bug in a processing step")

    monkeypatch.setattr(prepare, "prepare", broken)
    return lambda: monkeypatch.setattr(prepare, "prepare", real)


def test_a_failed_payload_replayed_after_the_fix_is_stored_exactly_once(
    ingest_queue, buggy_prepare
):
    project = ProjectFactory()
    event = python_error()
    push(ingest_queue, project, event, encoding="gzip")
    assert drain.process_batch() == 1
    failed = FailedPayload.objects.get()
    assert "simulated bug" in failed.reason and failed.project_id == project.id
    assert not Event.objects.exists()

    buggy_prepare()  # the bug is fixed
    call_command("replayfailed", "--id", str(failed.pk))
    assert not FailedPayload.objects.exists()
    assert ingest_queue.backlog() == 1
    assert drain.process_batch() == 1
    assert Event.objects.filter(project=project, event_id=event["event_id"]).count() == 1

    # The same payload queued again (a replay that crashed after its push, say): still once.
    push(ingest_queue, project, event, encoding="gzip")
    drain.process_batch()
    assert Event.objects.filter(event_id=event["event_id"]).count() == 1
    assert not FailedPayload.objects.exists()


def test_a_payload_that_fails_only_at_the_write_is_kept_as_the_queue_message(
    ingest_queue, monkeypatch
):
    """The batch write fails for one event only: it is kept as received (meta and body), like
    every other failed payload, so that it too can be replayed."""
    project = ProjectFactory()
    good, bad = python_error(), python_error(value="the bad one")
    push(ingest_queue, project, good)
    bad_body = push(ingest_queue, project, bad)
    real = store.store_batch

    def store_batch(events):
        if any(e.event_id == bad["event_id"] for e in events):
            raise ValueError("simulated write bug")
        return real(events)

    monkeypatch.setattr(store, "store_batch", store_batch)
    drain.process_batch()
    failed = FailedPayload.objects.get()
    assert "simulated write bug" in failed.reason
    payload = replay.payload_of(failed)
    assert payload.event_id == bad["event_id"] and payload.body == bad_body
    assert Event.objects.filter(event_id=good["event_id"]).exists()

    monkeypatch.setattr(store, "store_batch", real)
    call_command("replayfailed", "--all")
    drain.process_batch()
    assert Event.objects.filter(event_id=bad["event_id"]).count() == 1
    assert not FailedPayload.objects.exists()


def test_old_rows_with_the_prepared_event_are_replayed_as_store_bodies(ingest_queue):
    project = ProjectFactory()
    event = python_error()
    FailedPayload.objects.create(project_id=project.id, reason="old", meta=b"",
                                 body=orjson.dumps(event))  # fmt: skip
    call_command("replayfailed", "--all")
    drain.process_batch()
    assert Event.objects.filter(event_id=event["event_id"]).count() == 1


def test_unreplayable_rows_are_reported_and_kept(ingest_queue, capsys):
    row = FailedPayload.objects.create(project_id=None, reason="undecodable queue message",
                                       meta=b"\xff not json", body=b"x")  # fmt: skip
    with pytest.raises(CommandError, match="1 payloads could not be replayed"):
        call_command("replayfailed", "--all")
    assert f"payload {row.pk} not replayable" in capsys.readouterr().err
    assert FailedPayload.objects.filter(pk=row.pk).exists()


def test_replayfailed_wants_ids_or_all_and_names_unknown_ids(ingest_queue):
    with pytest.raises(CommandError, match="--id"):
        call_command("replayfailed")
    with pytest.raises(CommandError, match="no failed payload with id 99999"):
        call_command("replayfailed", "--id", "99999")
