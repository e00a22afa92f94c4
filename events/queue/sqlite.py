"""The ingest queue as a SQLite file in DATA_DIR (the embedded default, one machine)."""

import os
import sqlite3
import threading
import time

from .payload import Message, QueuedPayload, decode_message

# Who copies the WAL back into the file (a checkpoint, with its fsyncs): the consumer, not
# the edge. A checkpoint run by a web thread after its INSERT stalled that request and cost
# the edge ~10 % of its CPU in a burst (bench/README.md). The worker checkpoints after its
# acknowledgements (SQLite's default, every 1,000 pages) and while it holds off for a burst
# (`tidy`); an edge connection checkpoints only once the WAL passes 256 MiB, when no worker
# has run for a long time. A checkpointed WAL is cut back to 64 MiB.
PUSH_AUTOCHECKPOINT = 65536  # pages
CONSUMER_AUTOCHECKPOINT = 1000  # pages, SQLite's default
WAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes


class SqliteQueue:
    def __init__(self, path: str):
        self.path = path
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        # A connection must not cross a fork (Celery prefork, granian workers).
        if conn is None or self._local.pid != os.getpid():
            # DATA_DIR may not exist yet: settings make no folders.
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA wal_autocheckpoint={PUSH_AUTOCHECKPOINT}")
            conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " meta BLOB NOT NULL, body BLOB NOT NULL, claimed_at REAL)"
            )
            # count(*) walks the smallest index: without one it reads every queued payload
            # (~30 ms at 15,000 queued), twice a second per web process.
            conn.execute("CREATE INDEX IF NOT EXISTS queue_claimed ON queue (claimed_at)")
            self._local.conn = conn
            self._local.pid = os.getpid()
            self._local.consumer = False
        return conn

    def _consumer_conn(self) -> sqlite3.Connection:
        """This thread's connection, checkpointing as a consumer's does."""
        conn = self._conn()
        if not self._local.consumer:
            conn.execute(f"PRAGMA wal_autocheckpoint={CONSUMER_AUTOCHECKPOINT}")
            self._local.consumer = True
        return conn

    def push(self, payload: QueuedPayload) -> None:
        self._conn().execute(
            "INSERT INTO queue (meta, body) VALUES (?, ?)", (payload.encode_meta(), payload.body)
        )

    def push_many(self, payloads: list[QueuedPayload]) -> None:
        """One transaction: all or nothing."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO queue (meta, body) VALUES (?, ?)",
                [(p.encode_meta(), p.body) for p in payloads],
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def read(self, count: int, visibility_timeout: float) -> list[Message]:
        now = time.time()
        rows = (
            self._consumer_conn()
            .execute(
                "UPDATE queue SET claimed_at = ? WHERE id IN (SELECT id FROM queue"
                " WHERE claimed_at IS NULL OR claimed_at < ? ORDER BY id LIMIT ?)"
                " RETURNING id, meta, body",
                (now, now - visibility_timeout, count),
            )
            .fetchall()
        )
        rows.sort()
        return [decode_message(mid, meta, body) for mid, meta, body in rows]

    def ack(self, ids: list[str]) -> None:
        if ids:
            marks = ",".join("?" * len(ids))
            self._consumer_conn().execute(
                f"DELETE FROM queue WHERE id IN ({marks})", [int(i) for i in ids]
            )

    def tidy(self) -> None:
        """A consumer's upkeep while it waits (a drain holding off for a burst): copy what
        the edge wrote back into the file, so that its connections never have to."""
        try:
            self._consumer_conn().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.OperationalError:  # another process is checkpointing: it will do
            pass

    def backlog(self) -> int:
        return self._conn().execute("SELECT count(*) FROM queue").fetchone()[0]

    def oldest(self) -> float | None:
        """When the oldest queued payload was received (epoch seconds), None when empty."""
        row = self._conn().execute("SELECT meta FROM queue ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        try:
            return float(QueuedPayload.decode(row[0], b"").received)
        except (ValueError, TypeError):
            return None

    def added(self) -> int:
        """Messages ever pushed: AUTOINCREMENT keeps the highest id, even once deleted."""
        row = (
            self._conn().execute("SELECT seq FROM sqlite_sequence WHERE name = 'queue'").fetchone()
        )
        return row[0] if row else 0

    def clear(self) -> None:
        self._conn().execute("DELETE FROM queue")
