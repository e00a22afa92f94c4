"""An event's JSON: store bodies (§3) and the parsing every event goes through.

Pure functions (no Django); section numbers are those of docs/protocols.md. JSON is parsed
leniently (NaN, Infinity, a BOM: what real clients send) but safely (depth, size, UTF-8).
"""

from __future__ import annotations

import binascii
import json
import re
from typing import Any

import orjson

from .compression import inflate_any
from .refusal import Refusal, too_large

MAX_EVENT_BYTES = 1 * 1024 * 1024  # one event item / whole store body, decompressed
MAX_JSON_DEPTH = 254  # orjson.dumps's own limit: the edge's depth check is one C call

_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_B64_WHITESPACE = re.compile(rb"\s+")
_URLSAFE_TO_STD = bytes.maketrans(b"-_", b"+/")
_EVENT_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}", re.I)


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
            except Refusal as exc:
                if exc.reason != "bad_encoding":
                    raise
            if not _is_json_object(candidate):
                raise Refusal(
                    "bad_payload", "invalid store body: expected JSON, base64 or zlib data"
                )
    if len(candidate) > limit:
        raise too_large("event", limit)
    return candidate


def check_json_depth(value: Any) -> None:
    level = [value] if type(value) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise Refusal("bad_json", "JSON nested too deeply")
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
        raise Refusal("bad_json", "JSON nested too deeply")
    try:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refusal("bad_json", f"invalid UTF-8 in JSON at byte {exc.start}") from None
    try:
        value = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise Refusal("bad_json", "JSON nested too deeply") from None
    except ValueError as exc:
        raise Refusal("bad_json", f"invalid JSON: {exc}") from None
    check_json_depth(value)
    try:  # json.loads lets lone surrogates ("\ud800") through; they cannot be stored later
        orjson.dumps(value)
    except orjson.JSONEncodeError as exc:
        raise Refusal("bad_json", f"invalid JSON: {exc}") from None
    return value


def loads_json(data: bytes, check_depth: bool = True) -> Any:
    """Parse JSON leniently (NaN/Infinity ok) but safely; errors become Refusal("bad_json", 400).

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
            check_json_depth(value)  # raises the usual error (or passes on any other cause)
    return value


def parse_event_json(data: bytes, limit: int = MAX_EVENT_BYTES, check_depth: bool = True) -> dict:
    if len(data) > limit:
        raise too_large("event", limit)
    value = loads_json(data, check_depth)
    if type(value) is not dict:
        raise Refusal("bad_json", "event must be a JSON object")
    return value


def normalize_event_id(value: Any) -> str | None:
    """32-hex or dashed UUID (any case, optional braces) -> lowercase 32 hex, else None."""
    if not isinstance(value, str):
        return None
    if value[:1] == "{" and value[-1:] == "}":
        value = value[1:-1]
    if _EVENT_ID.fullmatch(value):
        return value.replace("-", "").lower()
    return None
