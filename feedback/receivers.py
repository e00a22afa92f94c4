"""The feedback app's hooks: envelope items from the worker (events/items.py) and, after
each stored batch, linking feedback that arrived before its event."""

from __future__ import annotations

from datetime import UTC, datetime

from events.items import RoutedItem
from events.models import FailedPayload
from events.wire.refusal import Refusal

from . import store, wire


def _handle(parse, routed: list[RoutedItem]) -> list:
    for item in routed:
        try:
            data = parse(item.payload, item.envelope_header)
        except Refusal as exc:  # the edge checks items; the envelope header only now
            FailedPayload.objects.create(
                project_id=item.project_id, reason=exc.detail, meta=b"", body=item.payload
            )
            continue
        store.save(item.project_id, data, datetime.fromtimestamp(item.received, UTC))
    return []


def feedback_items(routed: list[RoutedItem]) -> list:
    return _handle(wire.from_feedback_item, routed)


def user_report_items(routed: list[RoutedItem]) -> list:
    return _handle(wire.from_user_report_item, routed)


def on_batch_stored(sender, *, outcomes, **kwargs) -> None:
    pairs = [(o.project_id, e, o.issue_id) for o in outcomes for e in o.event_ids]
    if pairs and (attached := store.attach(pairs)):
        store.announce(attached)
