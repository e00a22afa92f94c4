"""Beat's monitor pass (monitors/beat.py) with many monitors, on a throwaway database.

    .venv/bin/python bench/monitors_pass.py [--backend postgres|sqlite] [--monitors 10000]
        [--due 100] [--runs 7]

Makes --monitors crontab monitors in one project, --due of them overdue (and as many
in-progress check-ins past their max runtime), times one pass that records them (missed,
timeout, and each monitor's first failure issue through the write path), then times passes
with nothing due, which is the usual minute. Reports medians over --runs. The target: a pass
under a second with 10,000 monitors.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dashboard_bench as base  # noqa: E402  (the throwaway database and Django set-up)


def setup_django(backend: str) -> tuple[str | None, Path]:
    db_name, data_dir = base.setup_django(backend, prefix="bench_mon")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return db_name, data_dir


def fill(count: int, due: int, now: datetime):
    from monitors.models import CheckIn, Monitor
    from projects.models import Organization, Project

    org = Organization.objects.create(name="Bench", slug="bench")
    project = Project.objects.create(organization=org, name="Bench", slug="bench")
    rows = []
    for n in range(count):
        late = n < due
        expected = now - timedelta(minutes=10) if late else now + timedelta(minutes=n % 60 + 1)
        rows.append(Monitor(
            project=project, slug=f"job-{n}", name=f"job-{n}", schedule_type="crontab",
            crontab="*/5 * * * *", checkin_margin=1, next_expected=expected,
            deadline=expected + timedelta(minutes=1), last_status="ok", last_checkin=now,
        ))  # fmt: skip
    Monitor.objects.bulk_create(rows, batch_size=2000)
    late = list(Monitor.objects.order_by("id")[count - due :])
    CheckIn.objects.bulk_create(
        [CheckIn(monitor=m, check_in_id=secrets.token_hex(16), status="in_progress",
                 received=now - timedelta(hours=1), timeout_at=now - timedelta(minutes=1))
         for m in late]
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--monitors", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    db_name, data_dir = setup_django(args.backend)
    try:
        from monitors import beat

        now = datetime.now(UTC)
        fill(args.monitors, args.due, now)
        started = time.perf_counter()
        result = beat.run_pass(now)
        busy = time.perf_counter() - started
        idle = []
        for _ in range(args.runs):
            started = time.perf_counter()
            beat.run_pass(now)
            idle.append(time.perf_counter() - started)
        print(f"backend={args.backend} monitors={args.monitors}")
        print(
            f"pass with {result.missed} missed + {result.timeouts} timeouts: {busy * 1000:.0f} ms"
        )
        print(f"pass with nothing due: median {statistics.median(idle) * 1000:.1f} ms, "
              f"max {max(idle) * 1000:.1f} ms over {args.runs}")  # fmt: skip
    finally:
        from django.db import connections

        connections.close_all()
        if db_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
