"""Server time of the dashboard's heavy pages on a big, throwaway database.

    .venv/bin/python bench/dashboard_bench.py [--backend postgres|sqlite] [--issues 100000]
        [--events 10000] [--runs 9]

Fills a fresh database (PostgreSQL: `bench_dash_<random>` on 127.0.0.1:5432, dropped at the
end; SQLite: a file in a temporary folder) with one project of --issues issues (tags and
hourly counts included) plus one issue with --events events, then renders each page with
Django's test Client in-process and reports the median (and max) over --runs requests,
after one warm-up request. The target is a median under 300 ms for every page.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TYPES = ["Value", "Key", "Type", "Attribute", "Timeout", "Connection", "Permission", "Index",
         "Runtime", "Lookup", "Integrity", "Operational", "Validation", "Http", "Json", "Unicode",
         "Memory", "Recursion", "Assertion", "NotImplemented"]  # fmt: skip
WORDS = ["database", "cache", "user", "payment", "invoice", "session", "token", "upload", "export",
         "report", "search", "email", "webhook", "queue", "billing", "profile", "login", "cart",
         "checkout", "inventory", "shipping", "order", "refund", "coupon", "review", "image",
         "thumbnail", "avatar", "signup", "password", "reset", "api", "graphql", "socket", "stream",
         "download", "import", "sync", "cron", "backup", "metrics", "audit", "tenant", "plan",
         "quota", "limit", "region", "locale", "currency", "tax"]  # fmt: skip


def setup_django(backend: str, prefix: str = "bench_dash") -> tuple[str | None, Path]:
    """A throwaway database (PostgreSQL or SQLite) and DATA_DIR, Django set up on them."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"{prefix}_"))
    os.environ["DATA_DIR"] = str(data_dir)
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)  # logins sign; a throwaway stack
    os.environ.pop("REDIS_URL", None)
    db_name = None
    if backend == "postgres":
        import psycopg

        db_name = f"{prefix}_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {db_name}")
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db_name}"
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "aggregator.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return db_name, data_dir


def fill(n_issues: int, n_events: int):
    from django.core.management import call_command
    from django.db import connection

    from events.models import Event, Issue, IssueHourlyCount, IssueTag
    from events.processing.normalize import normalize_event
    from projects.models import Membership, Organization, Project

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench", password="bench")
    org = Organization.objects.create(name="Bench", slug="bench")
    Membership.objects.create(user=user, organization=org, role="owner")
    project = Project.objects.create(organization=org, name="Big", slug="big", platform="python")
    rng = random.Random(42)
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    started = time.monotonic()

    issues = []
    for n in range(n_issues):
        last = now - timedelta(seconds=rng.randrange(30 * 86400))
        kind, word = rng.choice(TYPES), rng.choice(WORDS)
        issues.append(Issue(
            project=project, grouping_version="1", fingerprint=f"{n:032x}",
            title=f"{kind}Error: {word} failed for item {n}", culprit=f"app.{word}.views in handle_{word}",
            level=rng.choices(["error", "warning", "info", "fatal"], [70, 20, 8, 2])[0],
            metadata={"type": f"{kind}Error", "value": f"{word} failed for item {n}"},
            status=rng.choices(["unresolved", "resolved", "ignored"], [80, 15, 5])[0],
            first_seen=last - timedelta(seconds=rng.randrange(30 * 86400)), last_seen=last,
            times_seen=rng.randrange(1, 5000), last_release=f"1.{n % 50}",
        ))  # fmt: skip
    Issue.objects.bulk_create(issues, batch_size=5000)
    ids = list(Issue.objects.filter(project=project).values_list("pk", "last_seen"))
    tags, hours = [], []
    for pk, last in ids:
        env = "prod" if pk % 3 else "staging"
        for key, value in (("environment", env), ("release", f"1.{pk % 50}"), ("level", "error")):
            tags.append(
                IssueTag(
                    issue_id=pk, key=key, value=value, count=3, first_seen=last, last_seen=last
                )
            )
        if last > now - timedelta(hours=24):
            for h in range(3):
                hours.append(
                    IssueHourlyCount(
                        issue_id=pk,
                        project=project,
                        hour=hour - timedelta(hours=h * 5),
                        count=h + 1,
                    )
                )
    IssueTag.objects.bulk_create(tags, batch_size=10000)
    IssueHourlyCount.objects.bulk_create(hours, batch_size=10000)

    raw = {
        "platform": "python", "level": "error", "release": "1.0", "environment": "prod",
        "exception": {"values": [{"type": "KeyError", "value": "'user_id'", "stacktrace": {"frames": [
            {"filename": f"app/mod{i}.py", "function": f"f{i}", "lineno": 10 + i, "in_app": i > 10,
             "context_line": "    x = y[z]", "pre_context": ["a = 1"] * 5, "post_context": ["b = 2"] * 5,
             "vars": {"x": list(range(20)), "name": "value" * 10}}
            for i in range(20)]}}]},
        "breadcrumbs": {"values": [{"category": "http", "message": f"GET /api/{i}"} for i in range(50)]},
        "request": {"method": "GET", "url": "https://example.com/a", "headers": {"Accept": "*/*"}},
        "contexts": {"runtime": {"name": "CPython", "version": "3.12"}},
    }  # fmt: skip
    big = Issue.objects.create(
        project=project, grouping_version="1", fingerprint="f" * 32, title="KeyError: 'user_id'",
        culprit="app.mod19 in f19", first_seen=now - timedelta(days=29), last_seen=now, times_seen=n_events,
    )  # fmt: skip
    events, per_hour, users = [], {}, {}
    for n in range(n_events):
        ts = now - timedelta(seconds=rng.randrange(29 * 86400))
        data = normalize_event(
            {**raw, "user": {"id": str(n)}}, received=ts.timestamp(), event_id=uuid.uuid4().hex
        )
        events.append(Event(project=project, issue=big, event_id=data["event_id"], timestamp=ts, received=ts,
                            level="error", release="1.0", environment="prod", message="KeyError: 'user_id'",
                            data=data, tags={"user": f"id:{n}"}))  # fmt: skip
        h = ts.replace(minute=0, second=0, microsecond=0)
        per_hour[h] = per_hour.get(h, 0) + 1
        users[f"id:{n}"] = ts
    Event.objects.bulk_create(events, batch_size=1000)
    IssueHourlyCount.objects.bulk_create(
        [IssueHourlyCount(issue=big, project=project, hour=h, count=c) for h, c in per_hour.items()]
    )
    IssueTag.objects.bulk_create(
        [IssueTag(issue=big, key="user", value=u, count=1, first_seen=t, last_seen=t) for u, t in users.items()]
        + [IssueTag(issue=big, key=k, value=v, count=n_events, first_seen=now, last_seen=now)
           for k, v in (("environment", "prod"), ("release", "1.0"), ("level", "error"), ("runtime", "CPython 3.12"))],
        batch_size=5000,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"filled {n_issues} issues + 1 issue with {n_events} events in {time.monotonic() - started:.0f} s"
    )
    return user, project, big


def deep_cursor(project, depth: int) -> str:
    from events.models import Issue

    row = (Issue.objects.filter(project=project, status="unresolved").order_by("-last_seen", "-pk")
           .values_list("last_seen", "pk")[depth])  # fmt: skip
    return f"n~{row[0].isoformat()}~{row[1]}"


def measure(client, url: str, runs: int) -> tuple[float, float, int]:
    response = client.get(url)  # warm-up (and a check that the page works)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its name)")
    args = parser.parse_args()
    db_name, data_dir = setup_django(args.backend)
    try:
        from django.conf import settings
        from django.db import connection
        from django.test import Client

        # Not setup_test_environment(): its instrumented template rendering (for
        # response.context) would add time a real server does not spend.
        settings.ALLOWED_HOSTS.append("testserver")
        user, project, big = fill(args.issues, args.events)
        client = Client()
        client.force_login(user)
        base = "/orgs/bench/projects/big/"
        pages = {
            "issue list, first page": base,
            "issue list, filtered (level + environment)": base + "?level=error&environment=prod",
            "issue list, search 'payment'": base + "?q=payment",
            "issue list, search matching nothing": base + "?q=zzzznotfound",
            "issue list, search + filter + sort by events": base + "?q=timeout+release:1.7&sort=events",
            f"issue list, deep cursor (row {int(args.issues * 0.7)})": base + "?cursor=" + deep_cursor(project, int(args.issues * 0.7)),
            "issue list, all statuses": base + "?status=all",
            "all issues (across projects)": "/issues/",
            f"issue page ({args.events} events)": f"/issues/{big.pk}/",
            "issue page, 30 d chart": f"/issues/{big.pk}/?span=30d",
            "event list of that issue": f"/issues/{big.pk}/events/",
        }  # fmt: skip
        print(f"\nbackend: {connection.vendor}; {args.runs} runs per page after one warm-up\n")
        print(f"{'page':<48} {'median ms':>10} {'max ms':>8} {'KB':>6}")
        for label, url in pages.items():
            median, worst, size = measure(client, url, args.runs)
            print(f"{label:<48} {median:>10.1f} {worst:>8.1f} {size / 1024:>6.0f}")
    finally:
        from django.db import connections

        connections.close_all()
        if db_name and args.keep:
            print(f"kept database {db_name}")
        elif db_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
