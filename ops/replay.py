"""Queueing failed payloads again, once the bug that failed them is fixed.

Every FailedPayload holds the queue message as read (events/processing/drain.py), so each
goes back to the ingest queue as it first arrived; the event id makes storage exactly
once, and a payload that fails again is kept again with its new reason. Rows written before
that format (no meta, the prepared event as JSON) are queued as store bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson

from aggregator import metrics
from events.ingest.handoff import request_drain
from events.models import FailedPayload
from events.queue import QueuedPayload, get_queue


class NotReplayable(ValueError):
    pass


def payload_of(row: FailedPayload) -> QueuedPayload:
    meta, body = bytes(row.meta), bytes(row.body)
    if meta:
        try:
            return QueuedPayload.decode(meta, body)
        except (ValueError, TypeError):
            raise NotReplayable("the queue message's metadata cannot be decoded") from None
    try:
        event = orjson.loads(body)
        event_id = str(event["event_id"])
    except (ValueError, TypeError, KeyError):
        raise NotReplayable("neither a queue message nor an event") from None
    if row.project_id is None:
        raise NotReplayable("no project")
    return QueuedPayload(row.project_id, event_id, row.received.timestamp(), "store", "", body)


@dataclass
class Result:
    queued: int = 0
    skipped: dict[int, str] = field(default_factory=dict)  # id -> why


def replay(rows: Iterable[FailedPayload], progress: Callable[[], None] | None = None) -> Result:
    """Push each row's payload to the ingest queue, then delete the row. A crash between the
    two queues it twice at most: harmless, storage is exactly once by event id."""
    result = Result()
    queue = get_queue()
    for row in rows:
        try:
            payload = payload_of(row)
        except NotReplayable as exc:
            result.skipped[row.pk] = str(exc)
        else:
            queue.push(payload)
            FailedPayload.objects.filter(pk=row.pk).delete()
            metrics.REPLAYED_PAYLOADS.inc()
            result.queued += 1
        if progress is not None:
            progress()
    if result.queued:
        request_drain(min_interval=0)
    return result


def select(ids: list[int] | None = None):
    rows = FailedPayload.objects.order_by("id")
    return rows.filter(pk__in=ids) if ids is not None else rows
