"""Sentry-style cursors and `Link` headers over our keyset pages (`events.issues.pagination`).

Sentry writes a cursor as `value:offset:is_prev`. Ours has the same three parts, meaning
`sort key:id:is_prev`: the sort key of the row the page starts after (a datetime as integer
microseconds since the epoch, a count as itself), that row's id, and 1 for a backward page.
Nothing in it needs URL escaping, and a malformed one is a 400, as in Sentry.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from events.issues.pagination import Page

_CURSOR = re.compile(r"^(-?\d{1,18}):(\d{1,18}):([01])$")  # fits 64-bit columns
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadCursor(ValueError):
    pass


def to_internal(cursor: str | None, *, is_datetime: bool) -> str | None:
    """Our API cursor -> the `events.issues.pagination` form ("n~value~id"); None for no cursor."""
    if not cursor:
        return None
    match = _CURSOR.match(cursor)
    if not match:
        raise BadCursor("Invalid cursor parameter.")
    value, pk, prev = int(match[1]), int(match[2]), match[3] == "1"
    if is_datetime:
        try:
            text = (_EPOCH + timedelta(microseconds=value)).isoformat()
        except OverflowError:
            raise BadCursor("Invalid cursor parameter.") from None
    else:
        text = str(value)
    return f"{'p' if prev else 'n'}~{text}~{pk}"


def from_internal(cursor: str | None) -> str | None:
    if not cursor:
        return None
    direction, text, pk = cursor.split("~")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        value = int(text)
    else:
        value = (moment - _EPOCH) // timedelta(microseconds=1)
    return f"{value}:{pk}:{1 if direction == 'p' else 0}"


def link_header(url: str, params: dict, page: Page) -> str:
    """Both relations always, with `results` saying whether following it finds anything."""
    parts = []
    for rel, internal, fallback in (
        ("previous", page.prev_cursor, "0:0:1"),
        ("next", page.next_cursor, "0:0:0"),
    ):
        cursor = from_internal(internal)
        shown = cursor or fallback
        query = urlencode({**params, "cursor": shown}, doseq=True)
        parts.append(
            f'<{url}?{query}>; rel="{rel}"; results="{"true" if cursor else "false"}"; '
            f'cursor="{shown}"'
        )
    return ", ".join(parts)
