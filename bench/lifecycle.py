"""Disk per stored event, a retention soak, and the write path while a cleanup runs.

    python bench/lifecycle.py disk    --backend postgres|sqlite [--events 5000] [--groups 50]
    python bench/lifecycle.py soak    --backend postgres|sqlite [--events 300000] [--days 10]
                                      [--retention 3] [--cap N]
    python bench/lifecycle.py cleanup --backend postgres|sqlite [--old 1000000] [--events 20000]
                                      [--rounds 3]

Each run makes its own database (PostgreSQL: `bench_lifecycle_<random>` on 127.0.0.1, dropped
at the end; SQLite: a file in a temporary directory), migrates it and stores events through
the real write path in this process (`prepare.prepare`, `store.store_batch`, batches of 500)
from the benchmark's sentry-python envelope (bench/payload.py, 13 KB decompressed), with no
servers.

- disk: database size before and after storing N events, divided by N (PostgreSQL: after
  VACUUM ANALYZE, `pg_database_size`; SQLite: page_count * page_size after a checkpoint).
- soak: N events spread over D simulated days (the clock moved with time-machine), hourly
  retention of R days as beat runs it (`lifecycle.expire`); prints the database size at the
  end of every day, which should stop growing after day R. Every event is stored (no
  per-issue cap) unless --cap gives one.
- cleanup: fills the database with --old events 30 days old (prepared once per group and
  copied with new ids, for speed), then stores fresh events (at most --events) while
  `manage.py cleanup --days 7` deletes the old ones in another process, then as many alone,
  and reports stored events/s of each and the cleanup's deletes per second. This is the worker's side of the burst benchmark (ingest does not
  touch the database); bench/run.py measures the whole stack.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not __package__:  # run as a script: the repository root makes `bench.*` importable
    sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432"
BATCH = 500


def setup(backend: str, tmp: Path) -> str:
    """Point Django at a fresh database and migrate it; returns the PostgreSQL name."""
    os.environ["DATA_DIR"] = str(tmp)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("SECRET_KEY", "bench")
    name = ""
    if backend == "postgres":
        import psycopg

        name = f"bench_lifecycle_{secrets.token_hex(4)}"
        with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{PG_ADMIN_URL}/{name}"
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "aggregator.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return name


def drop(name: str) -> None:
    if not name:
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def db_size() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("VACUUM ANALYZE")  # autocommit: outside a transaction
            cur.execute("SELECT pg_database_size(current_database())")
            return cur.fetchone()[0]
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cur.fetchall()
        cur.execute("PRAGMA page_count")
        pages = cur.fetchone()[0]
        cur.execute("PRAGMA page_size")
        return pages * cur.fetchone()[0]  # the file's size, free pages included


class Source:
    """Envelopes of the benchmark (bench/payload.py), G groups, unique ids from a counter."""

    def __init__(self, groups: int):
        from bench import payload

        header, item_header, event = payload.split_envelope(
            json.loads(payload.FIXTURE.read_text())["raw_envelope_text"]
        )
        self.payload = payload
        self.parts = header, item_header
        self.templates = [payload.group_template(event, g) for g in range(groups)]
        self.n = 0

    def queued(self, project_id: int, now: float):
        from events.queue import QueuedPayload

        self.n += 1
        event_id = f"{self.n:032x}"
        body = self.payload.compress(
            self.payload.make_envelope(
                *self.parts, self.templates[self.n % len(self.templates)], self.n, event_id, now
            ),
            "br",
        )
        return QueuedPayload(project_id, event_id, now, "envelope", "br", body, "10.0.0.1")


def store(source: Source, project_id: int, count: int) -> None:
    from events.processing import prepare, store

    for start in range(0, count, BATCH):
        now = time.time()
        batch = [
            prepare.prepare(source.queued(project_id, now))
            for _ in range(min(BATCH, count - start))
        ]
        store.store_batch(batch)


def make_project(**fields):
    from projects.models import Organization, Project

    org = Organization.objects.create(name="Bench", slug=f"bench-{secrets.token_hex(3)}")
    return Project.objects.create(organization=org, name="Bench", **fields)


def run_disk(args) -> dict:
    if args.toast:  # the alternative measured: data out of line in TOAST chunks (until 0011)
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("ALTER TABLE events_event ALTER COLUMN data SET STORAGE EXTERNAL")
            cur.execute("ALTER TABLE events_event RESET (toast_tuple_target)")
    project = make_project(events_per_issue=10**6)  # every event stored: the cost of one
    store(Source(args.groups), project.id, min(BATCH, args.events))  # tables warmed up
    before = db_size()
    t0 = time.time()
    source = Source(args.groups)
    source.n = 10**6
    store(source, project.id, args.events)
    after = db_size()
    return {
        "backend": args.backend,
        "events": args.events,
        "groups": args.groups,
        "bytes_per_event": round((after - before) / args.events),
        "seconds": round(time.time() - t0, 1),
        "event_row": event_row(),
    }


def event_row() -> dict:
    """Where an event's bytes go (PostgreSQL): average column sizes, and the event table's
    parts per event (heap, TOAST, each index)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), avg(pg_column_size(data)), avg(pg_column_size(tags)),"
            " avg(pg_column_size(message)), avg(pg_column_size(e.*)) FROM events_event e"
        )
        n, data, tags, message, row = cur.fetchone()
        cur.execute(
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c"
            " WHERE c.relname LIKE 'events_event%%' OR c.oid = (SELECT reltoastrelid FROM"
            " pg_class WHERE relname = 'events_event') OR c.relname IN (SELECT indexrelid::regclass"
            "::text FROM pg_index WHERE indrelid = 'events_event'::regclass)"
        )
        parts = {name: round(size / n) for name, size in cur.fetchall() if size}
    return {
        "avg_column_bytes": {"data": round(data), "tags": round(tags), "message": round(message),
                             "row": round(row)},
        "bytes_per_event_by_relation": parts,
    }  # fmt: skip


def run_soak(args) -> dict:
    import time_machine

    from events import lifecycle

    # No per-issue cap by default: every event stored, so retention alone bounds the disk (with
    # the default cap of 1,000 and 50 groups, the cap would bound it from the second day).
    project = make_project(retention_days=args.retention, events_per_issue=args.cap or 10**7)
    source = Source(args.groups)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    per_hour = args.events // (args.days * 24)
    sizes = []
    with time_machine.travel(start, tick=False) as clock:
        for day in range(args.days):
            for hour in range(24):
                clock.move_to(start + timedelta(days=day, hours=hour))
                store(source, project.id, per_hour)
                lifecycle.expire()  # beat runs it hourly
            sizes.append(db_size())
            print(f"day {day + 1}: {sizes[-1] / 1e6:.1f} MB", file=sys.stderr, flush=True)
    return {
        "backend": args.backend,
        "events": per_hour * 24 * args.days,
        "days": args.days,
        "retention_days": args.retention,
        "events_per_issue": args.cap,
        "mb_at_end_of_day": [round(s / 1e6, 1) for s in sizes],
    }


def fill_old(project_id: int, count: int, groups: int, days_ago: int) -> None:
    """`count` events `days_ago` old, prepared once per group and copied with new ids."""
    from events.processing import prepare, store

    source = Source(groups)
    then = time.time() - days_ago * 86400
    prepared = [prepare.prepare(source.queued(project_id, then)) for _ in range(groups)]
    ts = datetime.fromtimestamp(then, UTC)
    for start in range(0, count, BATCH):
        store.store_batch(
            [
                replace(prepared[i % groups], event_id=f"f{start + i:031x}", timestamp=ts)
                for i in range(min(BATCH, count - start))
            ]
        )


def _store_while(source: Source, project_id: int, limit: int, going) -> tuple[int, float]:
    """Store batches while going() (and up to `limit` events); (events, seconds)."""
    n, t0 = 0, time.time()
    while n < limit and going():
        store(source, project_id, BATCH)
        n += BATCH
    return n, time.time() - t0


def run_cleanup(args) -> dict:
    from django.db import connection

    project = make_project(events_per_issue=10**7)
    source = Source(args.groups)
    rounds = []
    for r in range(args.rounds):
        fill_old(project.id, args.old, args.groups, 30)
        connection.close()
        started = time.time()
        cleaner = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "cleanup", "--days", "7"],
            env={**os.environ}, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(2)  # past its start-up: deleting
        n_with, s_with = _store_while(
            source, project.id, args.events, lambda c=cleaner: c.poll() is None
        )
        out = cleaner.communicate()[0].decode().strip()
        cleanup_s = time.time() - started
        n_alone, s_alone = _store_while(source, project.id, max(n_with, BATCH), lambda: True)
        result = {
            "stored_per_s_alone": round(n_alone / s_alone),
            "stored_per_s_during_cleanup": round(n_with / s_with) if n_with else None,
            "events_stored_during_cleanup": n_with,
            "cleanup": out,
            "cleanup_seconds": round(cleanup_s, 1),
            "deleted_per_s": round(args.old / cleanup_s),
        }
        print(f"round {r + 1}: {result}", file=sys.stderr, flush=True)
        rounds.append(result)
    ratios = sorted(
        x["stored_per_s_during_cleanup"] / x["stored_per_s_alone"]
        for x in rounds
        if x["stored_per_s_during_cleanup"]
    )
    return {
        "backend": args.backend,
        "old_events": args.old,
        "rounds": rounds,
        "median_ratio": round(ratios[len(ratios) // 2], 2) if ratios else None,
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["disk", "soak", "cleanup"])
    parser.add_argument("--backend", choices=["postgres", "sqlite"], required=True)
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--retention", type=int, default=3)
    parser.add_argument("--old", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--cap", type=int, default=None, help="soak: events stored per issue (default: all)"
    )
    parser.add_argument(
        "--toast", action="store_true", help="disk, PostgreSQL: the payload in TOAST chunks"
    )
    args = parser.parse_args(argv)
    if args.events is None:
        args.events = {"disk": 5000, "soak": 300_000, "cleanup": 20_000}[args.mode]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as tmp:
        name = setup(args.backend, Path(tmp))
        try:
            run = {"disk": run_disk, "soak": run_soak, "cleanup": run_cleanup}[args.mode]
            print(json.dumps(run(args)))
        finally:
            drop(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
