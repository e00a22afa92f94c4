"""Envelope items other apps take: check-ins (monitors), feedback and user reports (feedback).

`events` never names those apps. Each registers a handler (and an edge check) for its item
types in its AppConfig.ready(); the edge then checks and queues an envelope that carries
such items and no event (events/ingest/sentry.py), and the worker hands the items to the
handler inside the batch's transaction, after the events (events/processing/drain.py).
The usual envelope, an event alone, is not looked at for them at all. No Django here: the
edge imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RoutedItem:
    """One item for a handler, with what it needs of its envelope and queue message."""

    project_id: int
    received: float  # unix seconds, when the edge took it
    envelope_header: dict
    header: dict
    payload: bytes

    @property
    def type(self) -> str:
        return self.header.get("type") or ""


# (items of one type, in arrival order) -> store.Outcome list of issues it changed (may be
# empty; the drain sends their signals after commit); runs inside the batch transaction, in
# a savepoint. A handler keeps an item it cannot take as a FailedPayload with the reason; if
# it raises, the drain keeps all its items so.
Handler = Callable[[list[RoutedItem]], list]
# The edge's check of one item's payload, pure: raises events.wire.refusal.Refusal, so a bad
# check-in or feedback gets a 400 with its reason before anything is queued.
Check = Callable[[bytes], object]
_handlers: dict[str, Handler] = {}
_checks: dict[str, Check] = {}
ROUTED: frozenset[str] = frozenset()


def register(item_type: str, handler: Handler, check: Check | None = None) -> None:
    global ROUTED
    _handlers[item_type] = handler  # ready() may run twice in tests: the same handler again
    if check is not None:
        _checks[item_type] = check
    ROUTED = frozenset(_handlers)


def check(taken: list) -> None:
    """Run the edge checks of routed envelope items (raises Refusal)."""
    for item in taken:
        if (checker := _checks.get(item.type)) is not None:
            checker(item.payload)


def handler_for(item_type: str) -> Handler | None:
    return _handlers.get(item_type)


def routed(items) -> list:
    """The items of an envelope some app takes (usually none)."""
    if not ROUTED:
        return []
    return [item for item in items if item.type in ROUTED]
