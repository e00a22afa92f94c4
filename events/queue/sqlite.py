"""The ingest queue as a SQLite file in DATA_DIR (the embedded default, one machine)."""

import os
import sqlite3
import threading
import time
from contextlib import contextmanager

from .payload import Message, QueuedPayload, decode_message

# Who copies the WAL back into the file (a checkpoint, with its fsyncs): the consumer, not
# the edge. A checkpoint run by a web thread after its INSERT stalled that request and cost
# the edge ~10 % of its CPU in a burst (bench/README.md). The worker checkpoints after its
# acknowledgements (SQLite's default, every 1,000 pages) and while it holds off for a burst
# (`tidy`); an edge connection checkpoints only once the WAL passes 256 MiB, when no worker
# has run for a long time. A checkpointed WAL is cut back to 64 MiB.
#
# In a burst the edge commits without pause, so a passive checkpoint never catches up and
# the WAL is never started over: it grew to 340 MB for 20,000 events, and every page the
# edge wrote was new to the file system (zeroed and allocated: ~7 % of the web's CPU). So
# `tidy` ends with a RESTART checkpoint, which waits up to RESTART_WAIT_MS for the writer
# lock, copies the few frames committed since its passive pass, and lets the next push
# write from the start of the WAL again (bench/README.md).
PUSH_AUTOCHECKPOINT = 65536  # pages
CONSUMER_AUTOCHECKPOINT = 1000  # pages, SQLite's default
WAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes
RESTART_WAIT_MS = 20  # milliseconds; past it the restart does what a passive pass does

# Waiting for another writer. SQLite's own busy handler sleeps 1, 2, 5, 10 ms... between
# tries, while a push holds the lock for ~40 µs: in a burst the web's threads slept with
# the lock free and a tenth of the CPU stood idle. We retry after 50 µs, doubling to 2 ms.
BUSY_WAIT = 30.0  # seconds, as long as sqlite3's timeout was
FIRST_RETRY, LAST_RETRY = 0.00005, 0.002


def _run(conn: sqlite3.Connection, sql: str, params=()) -> sqlite3.Cursor:
    """conn.execute, tried again while another connection holds the lock it needs."""
    delay, deadline = FIRST_RETRY, None
    while True:
        try:
            return conn.execute(sql, params)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + BUSY_WAIT
            elif now >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, LAST_RETRY)


@contextmanager
def _writing(conn: sqlite3.Connection):
    """A write transaction: the lock first (waited for as `_run` waits, none inside), then
    all of the block or none of it."""
    _run(conn, "BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


_SEQ = "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'queue'), 0)"
_ACKED_TABLE = (
    "CREATE TABLE IF NOT EXISTS queue_acked (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " n INTEGER NOT NULL)"
)
# Once, in one statement: a queue made by an earlier version starts with its rows counted
# (the count runs only while the row is missing, not at every connection).
_ACKED_START = (
    f"INSERT OR IGNORE INTO queue_acked (id, n) SELECT 1, {_SEQ} - (SELECT count(*) FROM queue)"
    " WHERE NOT EXISTS (SELECT 1 FROM queue_acked)"
)


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
            conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            _run(conn, "PRAGMA journal_mode=WAL")
            _run(conn, "PRAGMA synchronous=NORMAL")
            _run(conn, f"PRAGMA wal_autocheckpoint={PUSH_AUTOCHECKPOINT}")
            _run(conn, f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            _run(
                conn,
                "CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " meta BLOB NOT NULL, body BLOB NOT NULL, claimed_at REAL)",
            )
            # The backlog is pushed minus acknowledged, two counters, rather than count(*):
            # without an index that reads every queued payload (~30 ms at 15,000), and an
            # index costs every push a page more (~11 µs of its ~60, one thread). A claim
            # scans past the few claimed rows at the head instead.
            _run(conn, "DROP INDEX IF EXISTS queue_claimed")  # made by earlier versions
            _run(conn, _ACKED_TABLE)
            _run(conn, _ACKED_START)
            self._local.conn = conn
            self._local.pid = os.getpid()
            self._local.consumer = False
        return conn

    def _consumer_conn(self) -> sqlite3.Connection:
        """This thread's connection, checkpointing as a consumer's does."""
        conn = self._conn()
        if not self._local.consumer:
            _run(conn, f"PRAGMA wal_autocheckpoint={CONSUMER_AUTOCHECKPOINT}")
            self._local.consumer = True
        return conn

    def push(self, payload: QueuedPayload) -> None:
        _run(
            self._conn(),
            "INSERT INTO queue (meta, body) VALUES (?, ?)",
            (payload.encode_meta(), payload.body),
        )

    def push_many(self, payloads: list[QueuedPayload]) -> None:
        """One transaction: all or nothing."""
        with _writing(self._conn()) as conn:
            conn.executemany(
                "INSERT INTO queue (meta, body) VALUES (?, ?)",
                [(p.encode_meta(), p.body) for p in payloads],
            )

    def read(self, count: int, visibility_timeout: float) -> list[Message]:
        now = time.time()
        rows = _run(
            self._consumer_conn(),
            "UPDATE queue SET claimed_at = ? WHERE id IN (SELECT id FROM queue"
            " WHERE claimed_at IS NULL OR claimed_at < ? ORDER BY id LIMIT ?)"
            " RETURNING id, meta, body",
            (now, now - visibility_timeout, count),
        ).fetchall()
        rows.sort()
        return [decode_message(mid, meta, body) for mid, meta, body in rows]

    def ack(self, ids: list[str]) -> None:
        if ids:
            marks = ",".join("?" * len(ids))
            self._delete(f"DELETE FROM queue WHERE id IN ({marks})", [int(i) for i in ids])

    def _delete(self, sql: str, params=()) -> None:
        """A delete and the count of acknowledged rows, in one transaction."""
        with _writing(self._consumer_conn()) as conn:
            deleted = conn.execute(sql, params).rowcount
            conn.execute("UPDATE queue_acked SET n = n + ?", (deleted,))

    def tidy(self) -> None:
        """A consumer's upkeep while it waits (a drain holding off for a burst): copy what
        the edge wrote back into the file, so that its connections never have to, and start
        the WAL over. The passive pass copies the bulk without blocking anyone; the restart
        holds the edge's pushes only for what arrived meanwhile."""
        try:
            conn = self._consumer_conn()
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            conn.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
            try:
                conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
            finally:
                conn.execute("PRAGMA busy_timeout=0")
        except sqlite3.OperationalError:  # another process is checkpointing: it will do
            pass

    def backlog(self) -> int:
        return _run(self._conn(), f"SELECT {_SEQ} - n FROM queue_acked").fetchone()[0]

    def oldest(self) -> float | None:
        """When the oldest queued payload was received (epoch seconds), None when empty."""
        row = _run(self._conn(), "SELECT meta FROM queue ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        try:
            return float(QueuedPayload.decode(row[0], b"").received)
        except (ValueError, TypeError):
            return None

    def added(self) -> int:
        """Messages ever pushed: AUTOINCREMENT keeps the highest id, even once deleted."""
        return _run(self._conn(), f"SELECT {_SEQ}").fetchone()[0]

    def clear(self) -> None:
        self._delete("DELETE FROM queue")
