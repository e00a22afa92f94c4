"""Envelopes (§4): a header line, then items, each a header line and a payload.

Pure functions (no Django); section numbers are those of docs/protocols.md. Payloads are
split out, not parsed: the edge checks the event item, the worker reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from .event_json import MAX_EVENT_BYTES, check_json_depth, normalize_event_id
from .refusal import Refusal, too_large

MAX_ENVELOPE_BYTES = 20 * 1024 * 1024  # whole envelope, decompressed
MAX_ENVELOPE_ITEMS = 100
_SIZE_CAPPED_ITEMS = ("event", "transaction", "feedback", "user_report", "check_in")


@dataclass(frozen=True, slots=True)
class EnvelopeItem:
    header: dict
    payload: bytes

    @property
    def type(self) -> str:
        item_type = self.header.get("type")
        return item_type if isinstance(item_type, str) else ""


@dataclass(frozen=True, slots=True)
class Envelope:
    header: dict
    items: list[EnvelopeItem]

    @property
    def event_id(self) -> str | None:
        return normalize_event_id(self.header.get("event_id"))

    def event_item(self) -> EnvelopeItem | None:
        for item in self.items:
            if item.type == "event":
                return item
        return None


def _invalid_envelope(cause: str) -> Refusal:
    return Refusal("bad_envelope", f"invalid event envelope: {cause}")


def _parse_header(raw: memoryview, cause: str) -> dict:
    try:
        header = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _invalid_envelope(cause) from None
    if type(header) is not dict:
        raise _invalid_envelope(cause)
    check_json_depth(header)
    return header


def parse_envelope(
    data: bytes,
    max_items: int = MAX_ENVELOPE_ITEMS,
    max_item_bytes: int = MAX_EVENT_BYTES,
) -> Envelope:
    """Split an envelope into headers and raw payloads; payloads are not parsed."""
    if not isinstance(data, bytes):
        data = bytes(data)
    size = len(data)
    if size > MAX_ENVELOPE_BYTES:
        raise too_large("envelope", MAX_ENVELOPE_BYTES)
    view = memoryview(data)
    end = data.find(b"\n")
    end = size if end < 0 else end
    header = _parse_header(view[:end], "invalid envelope header")
    items: list[EnvelopeItem] = []
    pos = end + 1
    while pos < size:
        end = data.find(b"\n", pos)
        end = size if end < 0 else end
        if end == pos == size - 1:  # a single trailing blank line
            break
        item_header = _parse_header(view[pos:end], "invalid item header")
        start = min(end + 1, size)
        length = item_header.get("length")
        if length is None:
            end = data.find(b"\n", start)
            end = size if end < 0 else end
        elif type(length) is not int or length < 0:
            raise _invalid_envelope("invalid length")
        else:
            end = start + length
            if end > size:
                raise _invalid_envelope("unexpected end of file")
            if end < size and data[end] != 0x0A:
                raise _invalid_envelope("missing newline after header or payload")
        if item_header.get("type") in _SIZE_CAPPED_ITEMS and end - start > max_item_bytes:
            raise too_large(f"{item_header['type']} item", max_item_bytes)
        if len(items) >= max_items:
            raise Refusal("too_large", "too many envelope items")
        items.append(EnvelopeItem(item_header, data[start:end]))
        pos = end + 1
    return Envelope(header, items)
