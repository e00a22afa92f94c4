"""raven's UDP datagrams, parsed (protocols.md §8): pure functions, no Django, no sockets.

A datagram is `<X-Sentry-Auth value>\\n\\n<payload>`, the payload base64(zlib(JSON)) as raven
sends it, or plain zlib, or plain JSON. Every refusal is a `Rejected` with a reason from
`events.ingest.udp.REASONS`, which the listener counts.
"""

from __future__ import annotations

import binascii

from . import compression, protocol
from .errors import ProtocolError

# Bigger than any UDP payload (65,507 over IPv4), so by default only decoding caps the size.
MAX_DATAGRAM_BYTES = 65_535
MAX_HEADER_BYTES = 2048  # the auth line is ~150 bytes; no "\n\n" this early: not raven's format


class Rejected(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def split_datagram(data: bytes, max_bytes: int = MAX_DATAGRAM_BYTES) -> tuple[protocol.Auth, bytes]:
    """Check the size and the auth header line; return (auth, payload still encoded)."""
    if len(data) > max_bytes:
        raise Rejected("too_large", f"datagram of {len(data)} bytes, limit {max_bytes}")
    start = len(data) - len(data.lstrip())
    if data[start : start + 1] in (b"{", b""):
        raise Rejected("missing_auth", "no auth header line")
    sep, skip = data.find(b"\n\n", 0, MAX_HEADER_BYTES), 2
    if sep < 0:
        sep, skip = data.find(b"\r\n\r\n", 0, MAX_HEADER_BYTES), 4
    if sep < 0:
        raise Rejected("missing_auth", "no auth header line")
    try:
        header = data[:sep].decode("utf-8").strip()
        auth = protocol.extract_auth({}, protocol.parse_auth_header(header))
    except UnicodeDecodeError:
        raise Rejected("bad_auth", "auth header is not UTF-8") from None
    except ProtocolError as exc:
        raise Rejected("bad_auth", exc.detail) from None
    if auth is None or not auth.public_key:
        raise Rejected("missing_auth", "auth header without sentry_key")
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
        raise ProtocolError("invalid store body: expected a JSON object")
    return body


def decode_event(payload: bytes, limit: int = protocol.MAX_EVENT_BYTES) -> tuple[dict, bytes]:
    """base64(zlib), zlib or plain JSON -> (event dict, its JSON bytes)."""
    try:
        # Only text forms may be stripped: raw zlib ends in a checksum whose bytes can be
        # whitespace (about one datagram in 40).
        body = _raven_body(payload.strip(), limit)
        if body is None:
            body = protocol.decode_store_body(payload, limit)
    except ProtocolError as exc:
        raise Rejected("too_large" if exc.status == 413 else "bad_payload", exc.detail) from None
    try:
        event = protocol.parse_event_json(body, limit)
    except ProtocolError as exc:
        raise Rejected("too_large" if exc.status == 413 else "bad_json", exc.detail) from None
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
        raise Rejected("bad_project", f"project {str(value)[:40]!r} is not a project id")
    return int(text)
