"""The embedded queue's own ways: who checkpoints its WAL, how a push waits for another
writer, and its backlog kept as two counters."""

import os
import sqlite3
import threading
import time

import pytest

from events.queue import QueuedPayload, SqliteQueue
from events.queue import sqlite as sqlite_queue

PAGE = 4096


def payload(n: int) -> QueuedPayload:
    return QueuedPayload(
        project_id=7, event_id=f"{n:032x}", received=1_800_000_000.5 + n, kind="envelope",
        content_encoding="br", body=os.urandom(3300),
    )  # fmt: skip


def copied_back(path) -> int:
    """Bytes in the database file itself: what checkpoints copied back from the WAL."""
    return os.path.getsize(path)


def wal_pages(path) -> int:
    return (os.path.getsize(path + "-wal") - 32) // (PAGE + 24)


def test_pushes_leave_the_checkpoint_to_the_consumer(tmp_path):
    path = str(tmp_path / "ingest.sqlite3")
    queue = SqliteQueue(path)
    for n in range(600):  # ~1,800 pages: past SQLite's default of 1,000, which checkpoints
        queue.push(payload(n))
    assert wal_pages(path) > 1000  # the WAL was never wrapped around...
    assert copied_back(path) < 100 * PAGE  # ...as nothing was copied back

    queue.tidy()  # what a drain does while it holds off
    assert copied_back(path) > 600 * 3300
    assert queue.backlog() == 600


def test_acknowledgements_checkpoint_as_sqlite_does_by_default(tmp_path):
    path = str(tmp_path / "ingest.sqlite3")
    queue = SqliteQueue(path)
    queue.push_many([payload(n) for n in range(600)])
    assert copied_back(path) < 100 * PAGE
    messages = queue.read(600, visibility_timeout=60)
    queue.ack([m.id for m in messages])
    assert copied_back(path) > 600 * 3300
    assert queue.backlog() == 0


def test_the_edge_checkpoints_once_the_wal_is_very_large(tmp_path, monkeypatch):
    """No worker for a long time: the WAL must not grow without end."""
    monkeypatch.setattr(sqlite_queue, "PUSH_AUTOCHECKPOINT", 200)
    path = str(tmp_path / "ingest.sqlite3")
    queue = SqliteQueue(path)
    for n in range(300):
        queue.push(payload(n))
    assert copied_back(path) > 100 * 3300
    assert wal_pages(path) < 300


def test_tidy_starts_the_wal_over_although_writers_keep_writing(tmp_path):
    """In a burst the edge commits all the time, so a passive checkpoint never catches up
    and the WAL only grew (340 MB for 20,000 events, every page new to the file system).
    tidy's restart waits out the writer in its way, copies what it wrote, and the next
    push starts the WAL from its beginning."""
    path = str(tmp_path / "ingest.sqlite3")
    queue = SqliteQueue(path)
    for n in range(50):
        queue.push(payload(n))
    holder = hold_write_lock(path, 0.005, row=(b"{}", os.urandom(3300)))  # commits meanwhile
    queue.tidy()
    holder.join()
    queue.push(payload(99))
    frames = sqlite3.connect(path).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    assert frames < 10  # the last push alone: the WAL was started over
    assert queue.backlog() == 52


def hold_write_lock(path, seconds: float, row: tuple | None = None) -> threading.Thread:
    """Another connection in a write transaction for `seconds`, as a busy writer would be
    (inserting `row`, a (meta, body) pair, when given)."""
    ready = threading.Event()

    def hold():
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        if row is not None:
            conn.execute("INSERT INTO queue (meta, body) VALUES (?, ?)", row)
        ready.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait()
    return thread


def test_a_push_waits_for_another_writer_then_lands(tmp_path):
    path = str(tmp_path / "ingest.sqlite3")
    queue = SqliteQueue(path)
    queue.push(payload(0))  # the schema exists before the other writer takes the lock
    holder = hold_write_lock(path, 0.2)
    started = time.monotonic()
    queue.push(payload(1))
    assert time.monotonic() - started >= 0.15  # it waited for the lock...
    holder.join()
    assert [m.payload.event_id for m in queue.read(10, 60)] == [f"{0:032x}", f"{1:032x}"]


def test_a_push_gives_up_after_the_busy_wait(tmp_path, monkeypatch):
    """So that the edge spools the payload instead of hanging on a stuck writer."""
    monkeypatch.setattr(sqlite_queue, "BUSY_WAIT", 0.1)
    path = str(tmp_path / "ingest.sqlite3")
    queue = SqliteQueue(path)
    queue.push(payload(0))
    holder = hold_write_lock(path, 0.6)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        queue.push(payload(1))
    holder.join()
    assert queue.backlog() == 1


def test_the_backlog_counts_what_is_left_however_it_is_acknowledged(tmp_path):
    queue = SqliteQueue(str(tmp_path / "ingest.sqlite3"))
    assert queue.backlog() == 0
    queue.push_many([payload(n) for n in range(10)])
    first, second = queue.read(4, 60), queue.read(4, 60)
    queue.ack([m.id for m in second])  # out of order
    assert queue.backlog() == 6
    queue.ack([m.id for m in second] + [m.id for m in first[:1]])  # acknowledged twice
    assert queue.backlog() == 5
    queue.ack(["999"])  # never queued
    assert queue.backlog() == 5
    queue.clear()
    assert queue.backlog() == 0
    queue.push(payload(11))
    assert queue.backlog() == 1
    assert queue.added() == 11


def test_a_queue_of_an_earlier_version_keeps_its_rows_counted(tmp_path):
    """Earlier versions counted with count(*) over an index of their own."""
    path = str(tmp_path / "ingest.sqlite3")
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("PRAGMA journal_mode=WAL")
    old.execute(
        "CREATE TABLE queue (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " meta BLOB NOT NULL, body BLOB NOT NULL, claimed_at REAL)"
    )
    old.execute("CREATE INDEX queue_claimed ON queue (claimed_at)")
    for n in range(7):
        old.execute(
            "INSERT INTO queue (meta, body) VALUES (?, ?)",
            (payload(n).encode_meta(), payload(n).body),
        )
    old.execute("DELETE FROM queue WHERE id <= 2")
    old.close()

    queue = SqliteQueue(path)
    assert queue.backlog() == 5
    queue.push(payload(8))
    queue.ack([m.id for m in queue.read(3, 60)])
    assert queue.backlog() == 3
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall() == []


def test_a_new_connection_does_not_count_the_queue_again(tmp_path):
    """The start count scans every queued payload: once per file, not at every connection
    (threads come and go). count(*) is one step of SQLite's machine, so it is timed: the
    fastest of 5 against the fastest of 5 plain counts of the same rows."""
    path = str(tmp_path / "ingest.sqlite3")
    SqliteQueue(path).push_many([payload(n) for n in range(3000)])
    conn = sqlite3.connect(path, isolation_level=None)

    def fastest(sql: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            conn.execute(sql).fetchall()
            times.append(time.perf_counter() - started)
        return min(times)

    assert fastest(sqlite_queue._ACKED_START) < fastest("SELECT count(*) FROM queue") / 4
    assert SqliteQueue(path).backlog() == 3000
