"""Server time of the REST API's issue list (and its neighbours) on a big, throwaway database.

    .venv/bin/python bench/api_bench.py [--backend postgres|sqlite] [--issues 100000]
        [--events 10000] [--runs 9]

Builds the same data as bench/dashboard_bench.py (one project of --issues issues with tags
and hourly counts, plus one issue with --events events), makes a personal API token, and
sends each request with Django's test Client in-process (`Authorization: Bearer …`, the
whole middleware, authentication, throttling and JSON rendering included), reporting the
median (and max) over --runs requests after one warm-up request. Target: a median under
300 ms for the issue list endpoint at 100,000 issues on PostgreSQL.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dashboard_bench as base  # noqa: E402  (the data builder and timer are shared)


def deep_cursor(project, depth: int) -> str:
    from api import cursors

    return cursors.from_internal(base.deep_cursor(project, depth))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    db_name, data_dir = base.setup_django(args.backend)
    try:
        from django.conf import settings
        from django.db import connection
        from django.test import Client

        from api.models import ApiToken

        settings.ALLOWED_HOSTS.append("testserver")
        settings.API_THROTTLE_RATE = "1000000/min"
        user, project, big = base.fill(args.issues, args.events)
        _row, token = ApiToken.issue(user, scopes=["read"], name="bench")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        issues = "/api/0/projects/bench/big/issues/"
        depth = int(args.issues * 0.7)
        requests = {
            "issue list, first page (100, unresolved)": issues,
            "issue list, all statuses (query=)": issues + "?query=",
            "issue list, filtered (level + environment)": issues + "?query=is:unresolved+level:error+environment:prod",
            "issue list, search 'payment'": issues + "?query=payment",
            "issue list, search matching nothing": issues + "?query=zzzznotfound",
            "issue list, search + filter + sort freq": issues + "?query=timeout+release:1.7&sort=freq",
            f"issue list, deep cursor (row {depth})": issues + "?cursor=" + deep_cursor(project, depth),
            "issue list, 14 d stats": issues + "?statsPeriod=14d",
            "organization issue list": "/api/0/organizations/bench/issues/",
            f"issue detail ({args.events} events)": f"/api/0/issues/{big.pk}/",
            "latest event": f"/api/0/issues/{big.pk}/events/latest/",
            "event list": f"/api/0/issues/{big.pk}/events/",
            "tag facets": f"/api/0/issues/{big.pk}/tags/",
        }  # fmt: skip
        print(f"\nbackend: {connection.vendor}; {args.runs} runs per request after one warm-up\n")
        print(f"{'request':<48} {'median ms':>10} {'max ms':>8} {'KB':>6}")
        for label, url in requests.items():
            median, worst, size = base.measure(client, url, args.runs)
            print(f"{label:<48} {median:>10.1f} {worst:>8.1f} {size / 1024:>6.0f}")
    finally:
        from django.db import connections

        connections.close_all()
        if db_name:
            import psycopg

            with psycopg.connect(base.PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
