"""raven's UDP datagrams, parsed (docs/protocols.md §8): pure functions, no Django, no sockets.

A datagram is `<X-Sentry-Auth value>\\n\\n<payload>`, the payload base64(zlib(JSON)) as raven
sends it, or plain zlib, or plain JSON. Every refusal is a `Refusal`
(events/wire/refusal.py), whose reason the listener counts.
"""

from __future__ import annotations

import binascii

from . import compression
from .auth import Auth, extract_auth, parse_auth_header
from .event_json import MAX_EVENT_BYTES, decode_store_body, parse_event_json
from .refusal import Refusal

# Bigger than any UDP payload (65,507 over IPv4), so by default only decoding caps the size.
MAX_DATAGRAM_BYTES = 65_535
MAX_HEADER_BYTES = 2048  # the auth line is ~150 bytes; no "\n\n" this early: not raven's format


def split_datagram(data: bytes, max_bytes: int = MAX_DATAGRAM_BYTES) -> tuple[Auth, bytes]:
    """Check the size and the auth header line; return (auth, payload still encoded)."""
    if len(data) > max_bytes:
        raise Refusal("too_large", f"datagram of {len(data)} bytes, limit {max_bytes}")
    start = len(data) - len(data.lstrip())
    if data[start : start + 1] in (b"{", b""):
        raise Refusal("missing_auth", "no auth header line")
    sep, skip = data.find(b"\n\n", 0, MAX_HEADER_BYTES), 2
    if sep < 0:
        sep, skip = data.find(b"\r\n\r\n", 0, MAX_HEADER_BYTES), 4
    if sep < 0:
        raise Refusal("missing_auth", "no auth header line")
    try:
        header = data[:sep].decode("utf-8").strip()
        auth = extract_auth({}, parse_auth_header(header))
    except UnicodeDecodeError:
        raise Refusal("bad_auth", "auth header is not UTF-8") from None
    except Refusal as exc:
        raise Refusal("bad_auth", exc.detail) from None
    if auth is None or not auth.public_key:
        raise Refusal("missing_auth", "auth header without sentry_key")
    return auth, data[sep + skip :]


def _raven_body(payload: bytes, limit: int) -> bytes | None:
    """raven's base64(zlib(JSON)) decoded directly (half the time of the general sniffing
    in decode_store_body); None when the payload is not that."""
    if payload[:1] != b"e":  # a zlib header (0x78 …) always base64-encodes to "e…"
        return None
    try:
        compressed = binascii.a2b_base64(payload, strict_mode=True)
    except binascii.Error:
        return None
    body = compression.inflate_any(compressed, limit, "zlib")
    if body.lstrip()[:1] != b"{":
        raise Refusal("bad_payload", "invalid store body: expected a JSON object")
    return body


def decode_event(payload: bytes, limit: int = MAX_EVENT_BYTES) -> tuple[dict, bytes]:
    """base64(zlib), zlib or plain JSON -> (event dict, its JSON bytes)."""
    try:
        # Only text forms may be stripped: raw zlib ends in a checksum whose bytes can be
        # whitespace (about one datagram in 40).
        body = _raven_body(payload.strip(), limit)
        if body is None:
            body = decode_store_body(payload, limit)
    except Refusal as exc:  # UDP counts decoding and JSON apart
        raise Refusal(
            "too_large" if exc.reason == "too_large" else "bad_payload", exc.detail
        ) from None
    try:
        event = parse_event_json(body, limit)
    except Refusal as exc:
        raise Refusal(
            "too_large" if exc.reason == "too_large" else "bad_json", exc.detail
        ) from None
    return event, body


def payload_project(event: dict) -> int | None:
    """The project id raven puts in the payload (a string), None when absent."""
    value = event.get("project")
    if value is None or value == "":
        return None
    text = "" if isinstance(value, bool) else str(value).strip()
    if (
        not isinstance(value, str | int)
        or not (text.isascii() and text.isdigit())
        or len(text) > 18
    ):
        raise Refusal("bad_project", f"project {str(value)[:40]!r} is not a project id")
    return int(text)
