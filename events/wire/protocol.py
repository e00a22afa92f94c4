"""Wire-level parsing for Sentry SDK ingestion: auth, DSNs, body decoding, envelopes, UDP.

Pure functions over bytes/str/dict (no Django). Spec: docs/protocols.md sections 1-5 and 8.
Every client error is raised as ProtocolError carrying the HTTP status to answer with.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from .compression import inflate_any, too_large
from .errors import ProtocolError

MAX_EVENT_BYTES = 1 * 1024 * 1024  # one event item / whole store body, decompressed
MAX_ENVELOPE_BYTES = 20 * 1024 * 1024  # whole envelope, decompressed
MAX_ENVELOPE_ITEMS = 100
MAX_JSON_DEPTH = 254  # orjson.dumps's own limit: the edge's depth check is one C call

_MAX_VERSION = 7
_MISSING_AUTH = "missing authorization information"
_QUERY_AUTH_FIELDS = ("sentry_key", "sentry_version", "sentry_client", "sentry_secret")
_SIZE_CAPPED_ITEMS = ("event", "transaction", "feedback")
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_B64_WHITESPACE = re.compile(rb"\s+")
_URLSAFE_TO_STD = bytes.maketrans(b"-_", b"+/")
_EVENT_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}", re.I)


# --- Authentication (§2)
@dataclass(frozen=True, slots=True)
class Auth:
    public_key: str
    secret_key: str | None
    version: int
    client: str | None


def parse_auth_header(value: str) -> dict[str, str]:
    """Parse `Sentry sentry_key=abc, sentry_version=7` into its fields."""
    value = value.strip()
    if value[:6].lower() != "sentry" or value[6:7] not in ("", " ", "\t"):
        raise ProtocolError(_MISSING_AUTH, 401)
    fields = {}
    for part in value[6:].split(","):
        key, eq, val = part.partition("=")
        if eq:
            fields[key.strip()] = val.strip()
    return fields


def _basic_auth(credentials: str) -> dict[str, str]:
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError are both ValueErrors
        raise ProtocolError(_MISSING_AUTH, 401) from None
    return {"sentry_key": decoded.partition(":")[0]}


def _parse_version(raw: str | None) -> int:
    if not raw:
        return _MAX_VERSION
    major = raw.partition(".")[0].strip()
    if not (major.isascii() and major.isdigit()):
        raise ProtocolError(f"invalid protocol version ({raw[:20]})")
    if len(major) > 3 or int(major) > _MAX_VERSION:
        raise ProtocolError(f"unsupported protocol version ({major[:20]})")
    return int(major)


def extract_auth(headers: Mapping[str, str], query: Mapping[str, str]) -> Auth | None:
    """Find the client key in headers / query string; None when the request carries none."""
    lowered = {key.lower(): value for key, value in headers.items()}
    sources = []
    if (value := lowered.get("x-sentry-auth")) is not None:
        sources.append(parse_auth_header(value))
    if value := lowered.get("authorization"):
        scheme, _, rest = value.strip().partition(" ")
        if scheme.lower() == "sentry":
            sources.append(parse_auth_header(value))
        elif scheme.lower() == "basic":
            sources.append(_basic_auth(rest))
    if "sentry_key" in query:
        sources.append({k: query[k] for k in _QUERY_AUTH_FIELDS if k in query})
    if not sources:
        return None
    fields = sources[0]
    key = fields.get("sentry_key", "")
    for other in sources:
        if not other.get("sentry_key"):
            raise ProtocolError(_MISSING_AUTH, 401)
        if other["sentry_key"] != key:
            raise ProtocolError("multiple authorization payloads detected", 401)
    return Auth(
        public_key=key,
        secret_key=fields.get("sentry_secret") or None,
        version=_parse_version(fields.get("sentry_version")),
        client=fields.get("sentry_client") or lowered.get("user-agent") or None,
    )


# --- DSN (§1)
@dataclass(frozen=True, slots=True)
class Dsn:
    public_key: str
    secret_key: str | None
    scheme: str
    host: str  # including ":port" when given
    path_prefix: str  # "" or "/sub/path"
    project_id: int


def parse_dsn(dsn: str) -> Dsn:
    """Parse `{scheme}://{key}[:{secret}]@{host}[:{port}][/{prefix}]/{project_id}`."""
    if not isinstance(dsn, str):
        raise ProtocolError("invalid DSN: not a string")
    try:
        parts = urlsplit(dsn.strip())
        port = parts.port
    except ValueError as exc:
        raise ProtocolError(f"invalid DSN: {exc}") from None
    scheme = parts.scheme.rpartition("+")[2].lower()  # legacy raven "threaded+https"
    if scheme not in ("http", "https", "udp"):
        raise ProtocolError("invalid DSN: unsupported scheme")
    if not parts.username:
        raise ProtocolError("invalid DSN: missing public key")
    host = parts.netloc.rpartition("@")[2]
    if not parts.hostname:
        raise ProtocolError("invalid DSN: missing host")
    if scheme == "udp" and port is None:
        raise ProtocolError("invalid DSN: udp requires a port")
    path = parts.path[:-1] if parts.path.endswith("/") else parts.path
    prefix, _, project = path.rpartition("/")
    if not (project.isascii() and project.isdigit()) or len(project) > 18:
        raise ProtocolError("invalid DSN: project id must be an integer")
    return Dsn(parts.username, parts.password or None, scheme, host, prefix, int(project))


# --- Store bodies (§3)
def _is_json_object(data: bytes) -> bool:
    if data[:1] == b"{":
        return True
    start = _WHITESPACE.match(data).end()
    return data[start : start + 1] == b"{"


def _b64decode(data: bytes) -> bytes | None:
    text = _B64_WHITESPACE.sub(b"", data).translate(_URLSAFE_TO_STD)
    try:
        return binascii.a2b_base64(text + b"=" * (-len(text) % 4), strict_mode=True)
    except binascii.Error:
        return None


def decode_store_body(data: bytes, limit: int = MAX_EVENT_BYTES) -> bytes:
    """Return the JSON of a store body that may be raven-style base64 and/or zlib."""
    candidate = data
    if not _is_json_object(candidate):
        decoded = _b64decode(data)
        if decoded is not None and _is_json_object(decoded):
            candidate = decoded
        else:
            try:
                candidate = inflate_any(data if decoded is None else decoded, limit, "zlib")
            except ProtocolError as exc:
                if exc.status != 400:
                    raise
            if not _is_json_object(candidate):
                raise ProtocolError("invalid store body: expected JSON, base64 or zlib data")
    if len(candidate) > limit:
        raise too_large("event", limit)
    return candidate


# --- JSON
def _check_depth(value: Any) -> None:
    level = [value] if type(value) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise ProtocolError("JSON nested too deeply")
        deeper: list = []
        append = deeper.append
        for node in level:
            for child in node.values() if type(node) is dict else node:
                kind = type(child)  # "is" tests: much faster than isinstance on the hot path
                if kind is dict or kind is list:
                    append(child)
        level = deeper


def _parse_int(text: str) -> int | float:
    # Like orjson: integers beyond 64 bits become floats (orjson.dumps cannot write them).
    return int(text) if len(text) < 19 else float(text)


def _loads_fallback(data: bytes | str, error: orjson.JSONDecodeError) -> Any:
    # json.loads accepts NaN/Infinity (Python clients) and a UTF-8 BOM, which orjson rejects.
    if "recursion" in str(error).lower():
        raise ProtocolError("JSON nested too deeply")
    try:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"invalid UTF-8 in JSON at byte {exc.start}") from None
    try:
        value = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise ProtocolError("JSON nested too deeply") from None
    except ValueError as exc:
        raise ProtocolError(f"invalid JSON: {exc}") from None
    _check_depth(value)
    try:  # json.loads lets lone surrogates ("\ud800") through; they cannot be stored later
        orjson.dumps(value)
    except orjson.JSONEncodeError as exc:
        raise ProtocolError(f"invalid JSON: {exc}") from None
    return value


def loads_json(data: bytes, check_depth: bool = True) -> Any:
    """Parse JSON leniently (NaN/Infinity ok) but safely; errors become ProtocolError(400).

    `check_depth=False` is for bytes that already passed the check once (the worker
    re-reads what the edge validated); orjson itself stops at depth 1024."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return _loads_fallback(data, exc)
    if check_depth and type(value) in (dict, list):
        # orjson.dumps refuses more than MAX_JSON_DEPTH levels, in C: ~4x faster than walking
        # the tree in Python, and nothing else can make it fail on what orjson.loads made.
        try:
            orjson.dumps(value)
        except orjson.JSONEncodeError:
            _check_depth(value)  # raises the usual error (or passes on any other cause)
    return value


def parse_event_json(data: bytes, limit: int = MAX_EVENT_BYTES, check_depth: bool = True) -> dict:
    if len(data) > limit:
        raise too_large("event", limit)
    value = loads_json(data, check_depth)
    if type(value) is not dict:
        raise ProtocolError("event must be a JSON object")
    return value


# --- Envelopes (§4)
def normalize_event_id(value: Any) -> str | None:
    """32-hex or dashed UUID (any case, optional braces) -> lowercase 32 hex, else None."""
    if not isinstance(value, str):
        return None
    if value[:1] == "{" and value[-1:] == "}":
        value = value[1:-1]
    if _EVENT_ID.fullmatch(value):
        return value.replace("-", "").lower()
    return None


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


def _invalid_envelope(cause: str) -> ProtocolError:
    return ProtocolError(f"invalid event envelope: {cause}")


def _parse_header(raw: memoryview, cause: str) -> dict:
    try:
        header = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _invalid_envelope(cause) from None
    if type(header) is not dict:
        raise _invalid_envelope(cause)
    _check_depth(header)
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
            raise ProtocolError("too many envelope items", 413)
        items.append(EnvelopeItem(item_header, data[start:end]))
        pos = end + 1
    return Envelope(header, items)


# --- Raven UDP (§8)
def parse_udp_datagram(
    data: bytes, limit: int = MAX_EVENT_BYTES
) -> tuple[dict[str, str] | None, bytes]:
    """Split `<auth header>\\n\\n<payload>`; return (auth fields or None, JSON bytes)."""
    fields = None
    if not _is_json_object(data):
        sep = data.find(b"\n\n")
        if sep >= 0:
            try:
                header = data[:sep].decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError(_MISSING_AUTH, 401) from None
            fields = parse_auth_header(header)
            data = data[sep + 2 :]
    return fields, decode_store_body(data, limit)
