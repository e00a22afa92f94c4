"""The write path through the real queue and database: grouping, counting, idempotency."""

import json
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from events import fields, signals
from events.models import Event, FailedPayload, Issue, IssueHourlyCount, IssueTag
from events.processing import bulk, drain, prepare, store
from events.queue import QueuedPayload
from events.wire.event_json import MAX_JSON_DEPTH, parse_event_json
from tests.support.factories import ProjectFactory
from tests.support.payloads import envelope, message_event, python_error
from tests.support.stack import wait_until

pytestmark = pytest.mark.django_db


def enqueue(queue, project, event: dict, kind="envelope"):
    body = envelope(event) if kind == "envelope" else json.dumps(event).encode()
    queue.push(
        QueuedPayload(project.id, event["event_id"], time.time(), kind, "", body, "10.0.0.1")
    )


def test_same_error_groups_into_one_issue_with_exact_counts(ingest_queue):
    project = ProjectFactory()
    for n in range(5):
        enqueue(ingest_queue, project, python_error(value=f"bad value {n}", release="app@1"))
    enqueue(ingest_queue, project, python_error(type_="KeyError", value="'x'"))
    assert drain.process_batch() == 6

    issues = {i.title.split(":")[0]: i for i in Issue.objects.filter(project=project)}
    assert set(issues) == {"ValueError", "KeyError"}
    assert issues["ValueError"].times_seen == 5
    assert issues["ValueError"].first_release == "app@1"
    assert issues["ValueError"].culprit == "app.main in inner"
    assert issues["KeyError"].times_seen == 1
    assert Event.objects.filter(project=project).count() == 6
    assert IssueHourlyCount.objects.get(issue=issues["ValueError"]).count == 5
    assert IssueTag.objects.get(issue=issues["ValueError"], key="release").count == 5
    assert ingest_queue.backlog() == 0


def test_redelivered_event_is_stored_and_counted_once(ingest_queue):
    project = ProjectFactory()
    event = python_error()
    for _ in range(3):
        enqueue(ingest_queue, project, event)
    drain.process_batch()
    enqueue(ingest_queue, project, event)  # sent again later
    drain.process_batch()

    issue = Issue.objects.get(project=project)
    assert issue.times_seen == 1
    assert Event.objects.filter(project=project).count() == 1
    assert IssueTag.objects.get(issue=issue, key="level").count == 1


def test_same_event_id_in_two_projects_are_two_events(ingest_queue):
    a, b = ProjectFactory(), ProjectFactory()
    event = python_error()
    enqueue(ingest_queue, a, event)
    enqueue(ingest_queue, b, event)
    drain.process_batch()
    assert Event.objects.filter(event_id=event["event_id"]).count() == 2
    assert Issue.objects.filter(project__in=[a, b]).count() == 2


def test_logging_params_group_by_template_and_store_formatted_message(ingest_queue):
    project = ProjectFactory()
    enqueue(ingest_queue, project, message_event(params=["alice"]))
    enqueue(ingest_queue, project, message_event(params=["bob"]))
    drain.process_batch()
    issue = Issue.objects.get(project=project)
    assert issue.times_seen == 2
    assert issue.type == "default"
    assert issue.level == "warning"
    assert sorted(Event.objects.values_list("message", flat=True)) == [
        "Something happened for user alice",
        "Something happened for user bob",
    ]


def test_resolved_issue_regresses_and_emits_hooks(ingest_queue):
    project = ProjectFactory()
    created, regressed = [], []

    def on_created(issue_id, **kw):
        created.append(issue_id)

    def on_regressed(issue_id, **kw):
        regressed.append(issue_id)

    signals.issue_created.connect(on_created)
    signals.issue_regressed.connect(on_regressed)
    try:
        enqueue(ingest_queue, project, python_error())
        drain.process_batch()
        issue = Issue.objects.get(project=project)
        assert created == [issue.id] and regressed == []

        Issue.objects.filter(id=issue.id).update(status=Issue.Status.RESOLVED)
        enqueue(ingest_queue, project, python_error())
        enqueue(ingest_queue, project, python_error())
        drain.process_batch()
    finally:
        signals.issue_created.disconnect(on_created)
        signals.issue_regressed.disconnect(on_regressed)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED
    assert issue.regressed is True and issue.regressed_at is not None
    assert regressed == [issue.id]
    assert created == [issue.id]
    assert issue.times_seen == 3


def test_last_seen_and_last_event_follow_the_newest_event(ingest_queue):
    project = ProjectFactory()
    now = datetime.now(UTC)
    old = python_error(timestamp=(now - timedelta(hours=2)).isoformat(), release="1.0")
    new = python_error(timestamp=now.isoformat(), release="2.0")
    enqueue(ingest_queue, project, new)
    drain.process_batch()
    enqueue(ingest_queue, project, old)  # arrives late
    drain.process_batch()
    issue = Issue.objects.get(project=project)
    assert issue.last_event_id == new["event_id"]
    assert issue.last_release == "2.0"
    assert issue.first_seen < issue.last_seen
    assert IssueHourlyCount.objects.filter(issue=issue).count() == 2


def test_secrets_are_scrubbed_before_storage(ingest_queue):
    project = ProjectFactory()
    event = python_error(
        request={"url": "https://x.test/login", "headers": {"Authorization": "Bearer topsecret"}},
        extra={"password": "hunter2", "card": "4111 1111 1111 1111"},
    )
    enqueue(ingest_queue, project, event)
    drain.process_batch()
    stored = json.dumps(Event.objects.get(event_id=event["event_id"]).data)
    assert "topsecret" not in stored and "hunter2" not in stored and "4111 1111" not in stored


def test_undecodable_payload_is_kept_not_dropped_and_does_not_block(ingest_queue):
    project = ProjectFactory()
    ingest_queue.push(
        QueuedPayload(project.id, "a" * 32, time.time(), "envelope", "gzip", b"junk", None)
    )
    enqueue(ingest_queue, project, python_error())
    assert drain.process_batch() == 2
    assert Event.objects.filter(project=project).count() == 1
    failed = FailedPayload.objects.get()
    assert failed.project_id == project.id and "decompress" in failed.reason
    assert bytes(failed.body) == b"junk"
    assert ingest_queue.backlog() == 0


def test_store_body_kind_is_processed(ingest_queue):
    project = ProjectFactory()
    event = python_error()
    enqueue(ingest_queue, project, event, kind="store")
    drain.process_batch()
    assert Event.objects.get(event_id=event["event_id"]).issue.title == "ValueError: bad value 42"


def test_unacknowledged_batch_is_read_again_after_visibility_timeout(ingest_queue, settings):
    project = ProjectFactory()
    enqueue(ingest_queue, project, python_error())
    first = ingest_queue.read(10, visibility_timeout=60)
    assert len(first) == 1
    assert ingest_queue.read(10, visibility_timeout=60) == []  # claimed by "a dead worker"
    again = ingest_queue.read(10, visibility_timeout=0)
    assert [m.id for m in again] == [m.id for m in first]
    ingest_queue.ack([m.id for m in again])
    assert ingest_queue.backlog() == 0


def _store_concurrently(batches) -> tuple[list, list]:
    """store_batch each batch in a thread of its own; (all outcomes, errors)."""
    outcomes, errors = [], []

    def write(batch):
        try:
            outcomes.extend(store.store_batch(batch))
        except Exception as exc:  # pragma: no cover - reported by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes, errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs concurrent writers")
def test_concurrent_batches_with_the_same_new_fingerprint_make_one_issue(ingest_queue):
    project = ProjectFactory()
    batches = [
        [prepare.prepare(_payload(project, python_error())) for _ in range(20)] for _ in range(4)
    ]
    _outcomes, errors = _store_concurrently(batches)
    assert errors == []
    issue = Issue.objects.get(project=project)
    assert issue.times_seen == 80
    assert Event.objects.filter(issue=issue).count() == 80


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs concurrent writers")
def test_concurrent_batches_on_resolved_issues_regress_each_once_with_exact_counts(ingest_queue):
    """Issue rows are read, locked in id order and written back: concurrent batches touching
    the same issues neither deadlock nor lose a count, and exactly one sees the regression."""
    project = ProjectFactory()
    kinds = ("ValueError", "KeyError", "TypeError")
    store.store_batch([prepare.prepare(_payload(project, python_error(type_=k))) for k in kinds])
    Issue.objects.filter(project=project).update(status=Issue.Status.RESOLVED)
    batches = [
        [
            prepare.prepare(_payload(project, python_error(type_=kinds[(i + n) % 3])))
            for n in range(30)
        ]
        for i in range(4)
    ]
    outcomes, errors = _store_concurrently(batches)
    assert errors == []
    for issue in Issue.objects.filter(project=project):
        assert issue.times_seen == 1 + 40
        assert issue.status == Issue.Status.UNRESOLVED and issue.regressed
        assert sum(o.regressed for o in outcomes if o.issue_id == issue.id) == 1
    assert sum(o.new_events for o in outcomes) == 120


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs concurrent writers")
def test_issue_counters_are_read_under_a_lock_so_a_slow_writer_loses_no_count(ingest_queue):
    """The issue row is read, worked out in Python and written back: a second writer that
    read it while the first had not committed would overwrite the first one's count."""
    project = ProjectFactory()
    (outcome,) = store.store_batch([prepare.prepare(_payload(project, python_error()))])
    issue_id = outcome.issue_id

    def stored(n):
        return [(prepare.prepare(_payload(project, python_error())), issue_id) for _ in range(n)]

    first_batch, second_batch = stored(3), stored(5)
    first_wrote = threading.Event()
    errors = []

    def someone_waits_for_me(cursor) -> bool:
        # pg_locks is read live (pg_stat_activity would be a snapshot inside a transaction).
        cursor.execute(
            "SELECT count(*) FROM pg_locks"
            " WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        )
        return cursor.fetchone()[0] > 0

    def slow_first():
        try:
            with transaction.atomic():
                store._update_issues(first_batch, set())
                first_wrote.set()
                # Held open until the second writer is stuck behind it (at its read under the
                # lock, or at its write without one): the race, every time.
                with connection.cursor() as cursor:
                    wait_until(lambda: someone_waits_for_me(cursor), timeout=30,
                               what="the second writer to wait for the first")  # fmt: skip
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def second():
        try:
            assert first_wrote.wait(30)
            with transaction.atomic():
                store._update_issues(second_batch, set())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=slow_first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert Issue.objects.get(id=issue_id).times_seen == 1 + 3 + 5


def _payload(project, event):
    return QueuedPayload(
        project.id, event["event_id"], time.time(), "envelope", "", envelope(event), None
    )


def test_an_event_only_the_lenient_parser_reads_is_stored(ingest_queue):
    """Python clients send NaN, which orjson refuses: the worker falls back to json."""
    project = ProjectFactory()
    event = python_error()
    event["extra"] = {"ratio": float("nan")}
    enqueue(ingest_queue, project, event)
    assert drain.process_batch() == 1
    assert FailedPayload.objects.count() == 0
    stored = Event.objects.get(project=project, event_id=event["event_id"])
    assert "ratio" in stored.data["extra"]


def test_ignored_issue_comes_back_after_its_event_count(ingest_queue):
    project = ProjectFactory()
    enqueue(ingest_queue, project, python_error())
    drain.process_batch()
    issue = Issue.objects.get(project=project)
    Issue.objects.filter(id=issue.id).update(status=Issue.Status.IGNORED, ignore_until_count=3)
    enqueue(ingest_queue, project, python_error())
    drain.process_batch()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.IGNORED and issue.times_seen == 2
    enqueue(ingest_queue, project, python_error())
    drain.process_batch()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED and issue.ignore_until_count is None
    assert issue.regressed is False


def test_ignored_issue_comes_back_after_its_duration(ingest_queue):
    project = ProjectFactory()
    enqueue(ingest_queue, project, python_error())
    drain.process_batch()
    issue = Issue.objects.get(project=project)
    past = datetime.now(UTC) - timedelta(minutes=1)
    Issue.objects.filter(id=issue.id).update(status=Issue.Status.IGNORED, ignore_until=past)
    enqueue(ingest_queue, project, python_error())
    drain.process_batch()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED and issue.ignore_until is None


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="a PostgreSQL storage setting")
def test_event_payloads_are_stored_zstd_compressed_and_not_recompressed_on_postgresql(
    ingest_queue,
):
    project = ProjectFactory()
    event = python_error()
    enqueue(ingest_queue, project, event)
    drain.process_batch()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'events_event'::regclass AND attname = 'data'"
        )
        # MAIN with the largest toast_tuple_target (migration 0011): kept in the row, never
        # compressed again unless the row would not fit a page.
        assert cursor.fetchone()[0] == "m"
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'events_event'")
        assert "toast_tuple_target=8160" in cursor.fetchone()[0]
        cursor.execute("SELECT data FROM events_event WHERE event_id = %s", [event["event_id"]])
        raw = bytes(cursor.fetchone()[0])
    assert raw[:4] == fields.ZSTD_MAGIC
    assert fields.unpack(raw)["event_id"] == event["event_id"]


def test_event_data_reads_back_as_the_stored_dict(ingest_queue):
    project = ProjectFactory()
    event = python_error()
    enqueue(ingest_queue, project, event)
    drain.process_batch()
    stored = Event.objects.get(project=project)
    assert stored.data["event_id"] == event["event_id"]
    assert stored.data["exception"]["values"][0]["type"] == "ValueError"


def test_compressed_field_reads_legacy_json_text_and_round_trips():
    value = {"a": [1, 2, {"b": "ü"}], "n": None}
    assert fields.unpack(fields.pack(value)) == value
    assert fields.unpack(b'{"legacy": true}') == {"legacy": True}
    assert fields.unpack('{"legacy": true}') == {"legacy": True}  # SQLite TEXT after the rebuild
    assert fields.unpack(memoryview(fields.pack(value))) == value


def test_pack_writes_non_string_keys_as_strings_and_still_refuses_the_unwritable():
    assert fields.unpack(fields.pack({1: "a", None: [{2.5: True}]})) == {
        "1": "a", "null": [{"2.5": True}]
    }  # fmt: skip
    with pytest.raises(TypeError):  # orjson's error type: neither try can write it
        fields.pack({"x": object()})


def test_batch_stored_carries_new_event_ids_and_a_failing_receiver_is_contained(ingest_queue):
    project = ProjectFactory()
    batches = []

    def on_batch(outcomes, **kw):
        batches.append(outcomes)

    def broken(**kw):
        raise RuntimeError("receiver bug")

    signals.batch_stored.connect(on_batch)
    signals.issue_created.connect(broken)
    try:
        first, second = python_error(), python_error()
        enqueue(ingest_queue, project, first)
        enqueue(ingest_queue, project, second)
        assert drain.process_batch() == 2
        enqueue(ingest_queue, project, first)  # a duplicate: stored once, no new outcome
        drain.process_batch()
    finally:
        signals.batch_stored.disconnect(on_batch)
        signals.issue_created.disconnect(broken)
    assert len(batches) == 1
    (outcome,) = batches[0]
    assert outcome.created and outcome.new_events == 2
    assert set(outcome.event_ids) == {first["event_id"], second["event_id"]}
    assert ingest_queue.backlog() == 0


def test_an_event_nested_to_the_edge_limit_is_stored_trimmed(ingest_queue):
    """The edge lets MAX_JSON_DEPTH levels through; the worker must store such an event."""
    project = ProjectFactory()
    deep: dict = {}
    node = deep
    for _ in range(MAX_JSON_DEPTH - 3):
        node["a"] = {}
        node = node["a"]
    event = python_error(extra={"deep": deep})
    parse_event_json(json.dumps(event).encode())  # what the edge checks: accepted
    enqueue(ingest_queue, project, event)
    assert drain.process_batch() == 1
    stored = Event.objects.get(project=project)
    assert any(mark.startswith("extra.deep") for mark in stored.data["_trimmed"])
    assert not FailedPayload.objects.exists()


def test_issue_created_is_the_servers_time_not_the_events(ingest_queue):
    project = ProjectFactory()
    old = python_error()
    old["timestamp"] = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    before = datetime.now(UTC)
    enqueue(ingest_queue, project, old)
    drain.process_batch()
    issue = Issue.objects.get(project=project)
    assert issue.first_seen < before - timedelta(days=2)
    assert issue.created >= before - timedelta(seconds=1)


def test_events_of_a_deleted_project_are_set_aside_and_do_not_block_the_queue(ingest_queue):
    gone, kept = ProjectFactory(), ProjectFactory()
    enqueue(ingest_queue, gone, python_error())
    enqueue(ingest_queue, kept, python_error())
    gone_id = gone.id
    gone.delete()
    assert drain.process_batch() == 2
    assert Event.objects.filter(project=kept).count() == 1
    failed = FailedPayload.objects.get()
    assert failed.project_id == gone_id and "no longer exists" in failed.reason
    assert ingest_queue.backlog() == 0


@pytest.mark.django_db(transaction=True)
def test_a_drain_lingers_so_an_event_pushed_just_after_it_emptied_the_queue_is_stored(
    ingest_queue, monkeypatch
):
    """The edge asks for one drain per half second; the running drain must cover the rest."""
    project = ProjectFactory()
    late = python_error()
    reads = []
    real_read = drain._read

    def read():
        messages = real_read()
        reads.append(len(messages))
        if reads == [0]:  # the first read found the queue empty: the event comes right after
            enqueue(ingest_queue, project, late)
        return messages

    monkeypatch.setattr(drain, "_read", read)
    # False: it ended on an empty queue (lingering), not on its time budget.
    assert drain.drain(time_budget=30, linger=0.6) is False
    assert reads[:2] == [0, 1]  # the read after the empty one, within the linger, took it
    assert Event.objects.filter(project=project, event_id=late["event_id"]).exists()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 12, 7, 17, 3, 33, 567517, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # no microseconds: no ".000000"
        datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_write_path_datetimes_are_what_django_would_write(value):
    expected = value if bulk.is_postgres() else connection.ops.adapt_datetimefield_value(value)
    assert bulk.db_datetime(value) == expected


def test_packed_events_hold_no_more_memory_than_their_bytes():
    """A batch keeps every prepared event's packed bytes until it is written: zstandard's own
    result kept a buffer the size of the JSON (~13 KB for 3.5 KB)."""
    event = python_error(value="x" * 4000)  # compresses to a small part of its JSON
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [fields.pack({**event, "n": n}) for n in range(50)]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(fields.dumps(event)) > 4 * len(kept[0])
    assert held < 2 * sum(len(k) for k in kept)
    assert fields.unpack(kept[7]) == {**event, "n": 7}


def test_sqlite_inserts_come_in_a_few_statement_sizes():
    """The sqlite3 module keeps 128 prepared statements per connection, each as big as its
    rows: one statement per batch size held ~40 MB in a worker."""
    for n in (0, 1, 255, 256, 257, 500, 1000):
        rows = list(range(n))
        assert [r for chunk in bulk._chunks(rows) for r in chunk] == rows
    sizes = {len(chunk) for n in range(1, 600) for chunk in bulk._chunks(list(range(n)))}
    assert sizes == {1, 2, 4, 8, 16, 32, 64, 128, 256}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL binds arrays: one statement")
def test_inserts_of_every_batch_size_prepare_at_most_nine_statements():
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bulk_probe (n integer, label text)")
    columns = {"n": "bigint", "label": "text"}
    with CaptureQueriesContext(connection) as queries:
        for size in range(1, 301):
            rows = [(i, f"row {i}") for i in range(size)]
            returned = bulk.insert("bulk_probe", columns, rows, "RETURNING n")
            assert sorted(n for (n,) in returned) == list(range(size))
    # The captured SQL has its values filled in: a statement's shape is its count of rows.
    assert {q["sql"].count("'row ") for q in queries.captured_queries} <= {
        1,
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
    }
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM bulk_probe")
        assert cur.fetchone()[0] == sum(range(1, 301))
