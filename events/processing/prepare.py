"""The worker's pure step: a queued payload -> a PreparedEvent ready to store.

Decode (undo compression, find the event in an envelope), normalize, scrub secrets, trim to
size, group, and work out the title, culprit, tags and the packed bytes to store. No
database: `store.py` writes what this returns.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from events import fields, items
from events.queue import QueuedPayload
from events.wire import compression
from events.wire.envelope import MAX_ENVELOPE_BYTES, parse_envelope
from events.wire.event_json import MAX_EVENT_BYTES, decode_store_body, parse_event_json
from events.wire.inbound_filters import Filters
from events.wire.refusal import Refusal

from . import enrich, grouping, normalize, scrub, tags, titles, trim


class Filtered(Exception):
    """The project's inbound filters drop this event; `reason` names the filter."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PreparedEvent:
    project_id: int
    event_id: str
    packed: bytes  # the event as stored (fields.pack): a batch holds ~4 KB per event, not a dict
    grouping: grouping.GroupingResult
    title: str
    culprit: str
    type: str
    metadata: dict
    level: str
    platform: str
    release: str
    environment: str
    message: str
    timestamp: datetime
    received: datetime
    tags: dict

    @property
    def data(self) -> dict:
        return fields.unpack(self.packed)


def _parse_event(data: bytes) -> tuple[dict, bool]:
    """(event, parsed by orjson). The edge validated these bytes already (size, depth)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:  # NaN, a BOM...: the lenient path, cleaned downstream
        return parse_event_json(data, check_depth=False), False
    if type(value) is not dict:
        raise Refusal("bad_json", "event must be a JSON object")
    return value, True


def decode(payload: QueuedPayload, routed: list | None = None) -> tuple[dict, bool] | None:
    """The raw event dict inside a queued body, and whether orjson parsed it (then it is
    JSON-safe as it is). Raises Refusal. With a `routed` list, an envelope's items that
    other apps take (events/items.py) are added to it, and an envelope of only such items
    has no event: None."""
    if payload.kind == "envelope":
        data = compression.decompress(payload.body, payload.content_encoding, MAX_ENVELOPE_BYTES)
        envelope = parse_envelope(data)
        item = envelope.event_item()
        # An envelope of just its event (the usual one) cannot carry other items: no look.
        if routed is not None and (item is None or len(envelope.items) > 1):
            routed.extend(
                items.RoutedItem(payload.project_id, payload.received, envelope.header,
                                 taken.header, taken.payload)
                for taken in items.routed(envelope.items)
            )  # fmt: skip
        if item is None:
            if routed:
                return None
            raise Refusal("bad_envelope", "envelope has no event item")
        return _parse_event(item.payload)
    data = compression.decompress(payload.body, payload.content_encoding, MAX_EVENT_BYTES)
    return _parse_event(decode_store_body(data))


def _message_text(event: dict) -> str:
    logentry = event.get("logentry") or {}
    text = logentry.get("formatted") or logentry.get("message")
    if not text:
        values = (event.get("exception") or {}).get("values") or []
        if values:
            last = values[-1]
            text = ": ".join(str(p) for p in (last.get("type"), last.get("value")) if p)
    return str(text or "")[:8192]


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def prepare(
    payload: QueuedPayload, filters: Filters | None = None, routed: list | None = None
) -> PreparedEvent | None:
    """The event to store; None for an envelope of only items other apps take, which are
    added to `routed` (see decode). Raises Refusal for a payload that cannot be stored,
    Filtered for one the project's inbound filters drop (checked before grouping)."""
    decoded = decode(payload, routed)
    if decoded is None:
        return None
    raw, trusted = decoded
    event = normalize.normalize_event(
        raw, received=payload.received, event_id=payload.event_id, client_ip=payload.client_ip,
        trusted=trusted,
    )  # fmt: skip
    if filters is not None:
        reason = filters.event_reason(event)
        if reason:
            raise Filtered(reason)
    event = enrich.run(event, payload.project_id)  # e.g. source maps (other apps' steps)
    survey = scrub.scrub_and_survey(event)  # secrets first: trim may cut or flatten them
    event = trim.trim_event(event, survey=survey)
    grouped = grouping.compute_grouping(event)
    return PreparedEvent(
        project_id=payload.project_id,
        event_id=event["event_id"],
        grouping=grouped,
        title=titles.event_title(event)[:255],
        culprit=titles.event_culprit(event)[:200],
        type=titles.event_type(event),
        metadata=titles.event_metadata(event),
        level=event.get("level") or "error",
        platform=(event.get("platform") or "")[:64],
        release=(event.get("release") or "")[:200],
        environment=(event.get("environment") or "")[:64],
        message=_message_text(event),
        timestamp=_utc(event["timestamp"]),
        received=_utc(payload.received),
        tags=tags.event_tags(event),
        packed=fields.pack(event),  # last: nothing above may change what is stored
    )
