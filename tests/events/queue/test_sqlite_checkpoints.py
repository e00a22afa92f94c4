"""The embedded queue's WAL: the edge only appends to it; the consumer copies it back."""

import os

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
