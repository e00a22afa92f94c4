"""Bulk SQL for the write path (events/processing/store.py): many rows per statement.

PostgreSQL gets one array parameter per column and `unnest(..)`: a dozen parameters
whatever the row count, where a multi-row VALUES list has thousands, which psycopg parses
out of the SQL text on every call (~18 ms for a 500-event batch). Elsewhere (SQLite):
multi-row VALUES in chunks of a few fixed sizes, and executemany.

Why fixed sizes: the sqlite3 module keeps the last 128 statements each connection prepared,
and a statement of n rows is n rows' worth of program. With one statement per batch size,
batches of every size between 20 and 500 held ~40 MB more in a worker process than batches
of one size (bench/README.md).
"""

from datetime import UTC, datetime
from functools import cache

import psycopg
from django.db import connection

from events import fields

INSERT_CHUNK = 256  # the largest chunk; the others are its halves, down to 1 row


@cache
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def greatest_least() -> tuple[str, str]:
    return ("GREATEST", "LEAST") if is_postgres() else ("MAX", "MIN")


@cache
def _stored_in_utc() -> bool:
    # SQLite keeps datetimes as naive text in the connection's zone: UTC unless DATABASES
    # names another TIME_ZONE.
    return connection.timezone is UTC


def db_datetime(value: datetime):
    # PostgreSQL takes aware datetimes as they are. Elsewhere the text Django's
    # adapt_datetimefield_value writes; for UTC values written here, without asking
    # `connection.ops` (an asgiref Local lookup, ~4.5 µs a call, ~10 calls per event).
    if is_postgres():
        return value
    if value.tzinfo is UTC and _stored_in_utc():
        return value.replace(tzinfo=None).isoformat(" ")
    return connection.ops.adapt_datetimefield_value(value)


def as_json(value) -> str:
    return fields.dumps(value).decode()


def cursor():
    """On PostgreSQL a server-side-binding cursor on Django's connection (same transaction):
    parameters travel apart from the SQL, so 13 KB payloads are neither quoted into the
    query text nor parsed back out of it (Django's client-side binding spent ~15% of the
    worker's CPU doing that). Elsewhere Django's own cursor."""
    if is_postgres():
        connection.ensure_connection()
        return psycopg.Cursor(connection.connection)
    return connection.cursor()


def _arrays(columns: dict[str, str]) -> str:
    return ", ".join(f"%b::{'text' if t == 'jsonb' else t}[]" for t in columns.values())


def _by_column(rows: list[tuple], width: int) -> list[list]:
    return [list(values) for values in zip(*rows, strict=True)] if rows else [[]] * width


def insert(table: str, columns: dict[str, str], rows: list[tuple], tail: str) -> list[tuple]:
    """Insert many rows in one statement; returns the rows of a RETURNING tail, if any.
    `columns` maps each column to its PostgreSQL type."""
    names = ", ".join(columns)
    if is_postgres():
        select = ", ".join(
            f"u.{c}::jsonb" if t == "jsonb" else f"u.{c}" for c, t in columns.items()
        )
        sql = (
            f"INSERT INTO {table} ({names}) SELECT {select} "
            f"FROM unnest({_arrays(columns)}) AS u({names}) {tail}"
        )
        with cursor() as cur:
            cur.execute(sql, _by_column(rows, len(columns)))
            return cur.fetchall() if "RETURNING" in tail else []
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    returned = []
    with connection.cursor() as cur:
        for chunk in _chunks(rows):
            sql = f"INSERT INTO {table} ({names}) VALUES " + ", ".join([marks] * len(chunk))
            cur.execute(sql + " " + tail, [value for row in chunk for value in row])
            if "RETURNING" in tail:
                returned.extend(cur.fetchall())
    return returned


def _chunks(rows: list) -> list[list]:
    """`rows` in runs of INSERT_CHUNK, then of halves of it: at most 9 sizes in all."""
    chunks, start, size = [], 0, INSERT_CHUNK
    while start < len(rows):
        while size > len(rows) - start:
            size //= 2
        chunks.append(rows[start : start + size])
        start += size
    return chunks


def update_by_id(table: str, columns: dict[str, str], rows: list[tuple]) -> None:
    """Set `columns` of many rows, each given as (id, *values): one statement on
    PostgreSQL (`UPDATE .. FROM unnest(..)`)."""
    if is_postgres():
        typed = {"id": "bigint", **columns}
        sets = ", ".join(f"{c} = u.{c}" for c in columns)
        sql = (
            f"UPDATE {table} AS t SET {sets} FROM unnest({_arrays(typed)}) "
            f"AS u({', '.join(typed)}) WHERE t.id = u.id"
        )
        with cursor() as cur:
            cur.execute(sql, _by_column(rows, len(typed)))
        return
    sets = ", ".join(f"{c} = %s" for c in columns)
    with connection.cursor() as cur:
        cur.executemany(
            f"UPDATE {table} SET {sets} WHERE id = %s",
            [
                (*(db_datetime(v) if isinstance(v, datetime) else v for v in row[1:]), row[0])
                for row in rows
            ],
        )
