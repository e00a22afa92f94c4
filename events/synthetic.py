"""Events that other apps raise themselves (a cron monitor that missed its check-in), stored
by the same path as SDK events, so issues, regressions, rules, digests, the API and triage
apply to them unchanged.

`store_event` runs the event through `processing.prepare` and `processing.store` inside the
caller's transaction; the caller passes the returned outcomes to `emit` after its commit
(the drain does so for handlers of routed items, events/items.py).
"""

from __future__ import annotations

import time
import uuid

import orjson

from events.processing import drain, prepare, store
from events.queue import QueuedPayload


def store_events(events: list[tuple[int, dict]]) -> list[store.Outcome]:
    """Store (project id, event dict) pairs in one batch (Sentry's event shape; give each a
    `fingerprint` to choose its issue, an `event_id` to find it in the outcomes). Returns
    the outcomes for `emit`."""
    prepared, now = [], time.time()
    for project_id, event in events:
        event = {"event_id": uuid.uuid4().hex, **event}
        payload = QueuedPayload(
            project_id=project_id, event_id=event["event_id"], received=now, kind="store",
            content_encoding="", body=orjson.dumps(event),
        )  # fmt: skip
        prepared.append(prepare.prepare(payload))
    return store.store_batch(prepared)


def store_event(project_id: int, event: dict) -> list[store.Outcome]:
    return store_events([(project_id, event)])


def emit(outcomes: list[store.Outcome]) -> None:
    """The after-commit signals (new issue, regression...) for outcomes of store_event."""
    drain.emit(outcomes)
