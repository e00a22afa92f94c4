"""Giving the space of deleted rows back, after a retention pass or a purge
(events/lifecycle.py): SQLite's incremental vacuum, PostgreSQL's plain VACUUM."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection


def shrink(tables: list[str], pages: int = 0) -> None:
    """Give the space of deleted rows back. SQLite: freed pages go back to the file system
    (auto_vacuum=INCREMENTAL, which new databases get from settings; `manage.py cleanup
    --vacuum` converts an older file). PostgreSQL: see vacuum_postgres."""
    if connection.vendor == "postgresql":
        vacuum_postgres(tables)
        return
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA auto_vacuum")
        if cur.fetchone()[0] == 2:
            cur.execute(
                f"PRAGMA incremental_vacuum({int(pages)})" if pages else "PRAGMA incremental_vacuum"
            )
            cur.fetchall()


# A table is vacuumed once its dead rows pass this share of its live ones (autovacuum's own
# default is 20 %): space freed by a retention pass is reused by the next hour's events.
VACUUM_DEAD_SHARE = 0.02
VACUUM_DEAD_MIN = 1000


def tables_to_vacuum(stats: Iterable[tuple[str, int, int]]) -> list[str]:
    """Of (table, live rows, dead rows), those with enough dead rows to vacuum now."""
    return [
        table
        for table, live, dead in stats
        if dead >= VACUUM_DEAD_MIN and dead >= VACUUM_DEAD_SHARE * live
    ]


def vacuum_postgres(tables: list[str]) -> list[str]:
    """VACUUM the tables a cleanup deleted from, once their dead rows pass VACUUM_DEAD_SHARE.

    Deleted rows are reusable only after a vacuum; autovacuum waits for 20 % of a table,
    so with hourly retention passes the table would first grow by a day or more of events
    before reusing space (bench/lifecycle.py soak). A plain VACUUM takes no lock that
    blocks reads or writes. Inside a transaction (a test's) it cannot run: skipped."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return []
    marks = ", ".join(["%s"] * len(tables))
    with connection.cursor() as cur:
        if connection.pg_version >= 150000:
            # This session's own deletes reach the statistics when it is next idle, which
            # (autocommit) is before the next statement.
            cur.execute("SELECT pg_stat_force_next_flush()")
        cur.execute(
            "SELECT relname, n_live_tup, n_dead_tup FROM pg_stat_user_tables"
            f" WHERE schemaname = current_schema() AND relname IN ({marks})",
            tables,
        )
        due = tables_to_vacuum(cur.fetchall())
        for table in due:
            cur.execute(f'VACUUM (ANALYZE) "{table}"')
    return due


def vacuum_sqlite() -> None:
    """Switch an existing SQLite file to incremental auto-vacuum (rewrites the file once)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA auto_vacuum=INCREMENTAL")
        cur.execute("VACUUM")
