"""Keyset pagination: a cursor on (sort key, id), never OFFSET.

A page is one index range scan from the cursor, however deep: `(key, id) < (v, i)` as a row
comparison (PostgreSQL and SQLite both have it, and PostgreSQL reads it straight off an
index on (..., key, id)). Cursors are opaque strings in the URL: "n~<value>~<id>" for the
next page, "p~..." for the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import BooleanField, DateTimeField, QuerySet
from django.db.models.expressions import RawSQL


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None
    prev_cursor: str | None


def _encode(direction: str, value, pk: int) -> str:
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return f"{direction}~{text}~{pk}"


def _decode(cursor: str | None, field) -> tuple[str, object, int] | None:
    """(direction, value, id) of a cursor, or None for a missing or malformed one."""
    try:
        direction, text, pk = (cursor or "").split("~")
        if direction not in ("n", "p"):
            return None
        if isinstance(field, DateTimeField):
            value = datetime.fromisoformat(text)
            if value.tzinfo is None:
                return None
            value = connection.ops.adapt_datetimefield_value(value)
        else:
            value = int(text)
        return direction, value, int(pk)
    except (ValueError, TypeError):
        return None


def row_compare(model, key: str, op: str, value, pk: int) -> RawSQL:
    """`(key, id) <op> (value, pk)` as a filter expression; `value` already adapted."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = f"{table}.{connection.ops.quote_name(model._meta.get_field(key).column)}"
    pk_column = f"{table}.{connection.ops.quote_name(model._meta.pk.column)}"
    assert op in ("<", ">")
    return RawSQL(
        f"({column}, {pk_column}) {op} (%s, %s)", [value, pk], output_field=BooleanField()
    )


def paginate(qs: QuerySet, *, key: str, descending: bool, cursor: str | None, size: int) -> Page:
    field = qs.model._meta.get_field(key)
    decoded = _decode(cursor, field)
    direction = decoded[0] if decoded else "n"
    forward = direction == "n"
    # Walking forward in a descending list means smaller keys; backward flips both.
    smaller = descending == forward
    if decoded:
        op = "<" if smaller else ">"
        qs = qs.filter(row_compare(qs.model, key, op, decoded[1], decoded[2]))
    order = [f"-{key}", "-pk"] if smaller else [key, "pk"]
    rows = list(qs.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    if not rows:
        return Page([], None, None)
    first, last = rows[0], rows[-1]
    has_next = more if forward else True
    has_prev = (decoded is not None) if forward else more
    return Page(
        rows,
        _encode("n", getattr(last, key), last.pk) if has_next else None,
        _encode("p", getattr(first, key), first.pk) if has_prev else None,
    )
