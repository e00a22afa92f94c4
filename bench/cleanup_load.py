"""The burst benchmark while a big cleanup runs (bench/run.py --cleanup-old N).

Before the load, `fill` gives the stack's database N events 30 days old, fast: a project of
their own ("old", in the bench organization) gets one real event per group through the
write path (prepare, store_batch; bench/payload.py's envelope, 13 KB), and bulk SQL copies
those rows with new ids, event ids and older timestamps (PostgreSQL: generate_series;
SQLite: a recursive CTE), 50,000 rows a statement. The issues' stored counts and times seen
are then set to what they hold, as the write path would have left them, and on PostgreSQL
VACUUM ANALYZE runs so that autovacuum does not start during the measurement.

`Cleanup` then starts `manage.py cleanup --days 7` in the stack's environment (a process of
the stack, with the stack's settings: CLEANUP_BATCH_SIZE, CLEANUP_DUTY), waits until its
first batch is deleted (it counts what is to go first) and the load starts. Deleted rows are
read off the old issues' stored counts, which every delete batch takes down in its own
transaction: a sum over a few rows, cheap enough to read with every sample of the load.
The bench project's events are not touched (they are new), so the stored count run.py
watches is the burst's alone.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

from bench.processes import BIN, Stack

OLD_DAYS = 30
CLEANUP_DAYS = 7
ROWS_PER_STATEMENT = 50_000
COLUMNS = (
    "project_id, issue_id, event_id, timestamp, received, level, platform, release,"
    " environment, message, data, tags"
)


def _old_project(bench_project_id: int):
    from projects.models import Project

    bench = Project.objects.get(pk=bench_project_id)
    # Every event stored: the cap would thin them (the copies bypass it anyway).
    return Project.objects.create(
        organization=bench.organization, name="Old events", events_per_issue=10**7
    )


def _seed(project_id: int, groups: int) -> None:
    """One event per group, OLD_DAYS old, through the real write path."""
    from bench.lifecycle import Source
    from events.processing import prepare, store

    then = time.time() - OLD_DAYS * 86400
    source = Source(groups)
    ts = datetime.fromtimestamp(then, UTC)
    store.store_batch(
        [replace(prepare.prepare(source.queued(project_id, then)), timestamp=ts)
         for _ in range(groups)]
    )  # fmt: skip


def _copy_sql(vendor: str) -> str:
    """Rows `g` in [%s, %s] for every seed row: (g first, g last, project, seed ids low, top)."""
    if vendor == "postgresql":
        return (
            f"INSERT INTO events_event ({COLUMNS})"
            " SELECT s.project_id, s.issue_id,"
            "  'e' || lpad(to_hex(s.id), 7, '0') || lpad(to_hex(g), 24, '0'),"
            "  s.timestamp - g * interval '1 second', s.received, s.level, s.platform,"
            "  s.release, s.environment, s.message, s.data, s.tags"
            " FROM events_event s CROSS JOIN generate_series(%s, %s) AS g"
            " WHERE s.project_id = %s AND s.id BETWEEN %s AND %s"
        )
    return (
        f"INSERT INTO events_event ({COLUMNS})"
        " WITH RECURSIVE n(g) AS (SELECT %s UNION ALL SELECT g + 1 FROM n WHERE g < %s)"
        " SELECT s.project_id, s.issue_id, printf('e%%07x%%024x', s.id, n.g),"
        "  strftime('%%Y-%%m-%%d %%H:%%M:%%f', s.timestamp, '-' || n.g || ' seconds'),"
        "  s.received, s.level, s.platform, s.release, s.environment, s.message, s.data, s.tags"
        # The seeds by their rowid range, outermost: by the project's index instead, SQLite
        # read every copy made so far on each statement (the fill slowed as it grew).
        " FROM events_event s CROSS JOIN n"
        " WHERE +s.project_id = %s AND s.id BETWEEN %s AND %s"
    )


def fill(bench_project_id: int, count: int, groups: int, log=print) -> dict:
    """`count` events OLD_DAYS old in a project of their own; returns what it took."""
    from django.db import connection, transaction

    from events.models import Event, Issue

    started = time.monotonic()
    project = _old_project(bench_project_id)
    groups = max(1, min(groups, count))
    _seed(project.pk, groups)
    seeds = Event.objects.filter(project=project).count()
    ids = Event.objects.filter(project=project).order_by("id").values_list("id", flat=True)
    low, top = ids.first(), ids.last()
    sql = _copy_sql(connection.vendor)
    copies = (count - seeds + seeds - 1) // seeds  # per seed, on top of the seed itself
    step = max(1, ROWS_PER_STATEMENT // seeds)
    done = seeds
    for first in range(1, copies + 1, step):
        last = min(first + step - 1, copies)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [first, last, project.pk, low, top])
        done += (last - first + 1) * seeds
        elapsed = time.monotonic() - started
        log(f"bench: filled {done} old events ({done / elapsed:.0f}/s)")
    with transaction.atomic(), connection.cursor() as cur:
        table = Issue._meta.db_table
        cur.execute(
            f"UPDATE {table} SET stored_count = (SELECT count(*) FROM events_event e"
            f" WHERE e.issue_id = {table}.id), times_seen = (SELECT count(*) FROM"
            f" events_event e WHERE e.issue_id = {table}.id) WHERE project_id = %s",
            [project.pk],
        )
    insert_seconds = time.monotonic() - started
    if not connection.in_atomic_block:  # (a test's transaction: neither can run there)
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("VACUUM ANALYZE")
            else:
                cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cur.fetchall()
    seconds = time.monotonic() - started
    return {
        "old_project_id": project.pk,
        "old_events": done,
        "fill_seconds": round(seconds, 1),
        "fill_per_s": round(done / insert_seconds),
        "db_mb": round(db_bytes() / 1e6),
    }


def db_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT pg_database_size(current_database())")
            return cur.fetchone()[0]
        cur.execute("PRAGMA page_count")
        pages = cur.fetchone()[0]
        cur.execute("PRAGMA page_size")
        return pages * cur.fetchone()[0]


def remaining(project_id: int) -> int:
    """Old events not deleted yet: the sum of their issues' stored counts."""
    from django.db.models import Sum

    from events.models import Issue

    return Issue.objects.filter(project_id=project_id).aggregate(n=Sum("stored_count"))["n"] or 0


class Cleanup:
    """`manage.py cleanup --days 7` as a process of the stack, and its progress."""

    def __init__(self, stack: Stack, filled: dict):
        self.stack, self.filled = stack, filled
        self.project_id = filled["old_project_id"]
        self.total = remaining(self.project_id)
        self.marks: dict[str, tuple[float, int]] = {}
        self.progress: list[tuple[float, int]] = []
        self.proc = None
        self.running_at_load_end = False

    def start(self, timeout: float = 900) -> None:
        """Start it and wait until its first batch is gone (it counts what is to go first)."""
        cmd = [str(BIN / "python"), "manage.py", "cleanup", "--days", str(CLEANUP_DAYS)]
        self.proc = self.stack.start("cleanup", cmd)
        self.mark("started")
        deadline = time.monotonic() + timeout
        while remaining(self.project_id) >= self.total:
            if self.proc.popen.poll() is not None:
                raise RuntimeError(f"cleanup exited early; see {self.proc.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"cleanup deleted nothing in {timeout:.0f} s")
            time.sleep(0.2)
        self.mark("deleting")

    def mark(self, name: str | None = None) -> None:
        """Deleted so far, now: named, or one more point of the progress (during the load)."""
        point = (time.time(), self.total - remaining(self.project_id))
        self.progress.append(point)
        if name:
            self.marks[name] = point

    def deleted_at(self, t: float) -> float:
        """Deleted by time t, interpolated between the points around it."""
        before = max((p for p in self.progress if p[0] <= t), default=self.progress[0])
        after = min((p for p in self.progress if p[0] >= t), default=self.progress[-1])
        if after[0] <= before[0]:
            return before[1]
        return before[1] + (after[1] - before[1]) * (t - before[0]) / (after[0] - before[0])

    def running(self) -> bool:
        return self.proc is not None and self.proc.popen.poll() is None

    def load_ended(self) -> None:
        self.running_at_load_end = self.running()
        self.mark("load_end")

    def report(self, first_send: float, last_done: float) -> dict:
        """Deleted rows and deletes/s over the load (first send to last answer) and from the
        first send to the last stored event of the burst (`drained`)."""
        t_start, _ = self.marks["started"]
        t_del, n_del = self.marks["deleting"]
        t_end, n_end = self.marks.get("drained", self.marks["load_end"])
        at_send, at_done = self.deleted_at(first_send), self.deleted_at(last_done)
        load_s = last_done - first_send
        return {
            **self.filled,
            "cleanup_days": CLEANUP_DAYS,
            "count_seconds": round(t_del - t_start, 1),  # start-up and counting what is to go
            "deleted_at_first_send": round(at_send),
            "deleted_during_load": round(at_done - at_send),
            "deletes_per_s_during_load": round((at_done - at_send) / load_s) if load_s else None,
            "deleted_by_drained": n_end,
            "deletes_per_s_until_drained": round((n_end - at_send) / (t_end - first_send))
            if t_end > first_send
            else None,
            "running_at_load_end": self.running_at_load_end,
            "running_at_drained": self.running(),
            "left": self.total - n_end,
        }
