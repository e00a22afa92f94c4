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


def store_event(project_id: int, event: dict) -> list[store.Outcome]:
    """Store one event dict (Sentry's event shape; give it a `fingerprint` to choose its
    issue). Returns the outcomes for `emit`."""
    event = {"event_id": uuid.uuid4().hex, **event}
    payload = QueuedPayload(
        project_id=project_id, event_id=event["event_id"], received=time.time(), kind="store",
        content_encoding="", body=orjson.dumps(event),
    )  # fmt: skip
    return store.store_batch([prepare.prepare(payload)])


def emit(outcomes: list[store.Outcome]) -> None:
    """The after-commit signals (new issue, regression...) for outcomes of store_event."""
    drain.emit(outcomes)
