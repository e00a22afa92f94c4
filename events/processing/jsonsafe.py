"""Coercing hostile JSON values into safe ones: strings, 64-bit ints, and clean copies of
nested data (no lone surrogates, no NaN, no odd keys, bounded depth)."""

from __future__ import annotations

import math
import re
import threading
from contextlib import contextmanager

import orjson

_MAX_DEPTH = 64  # deeper JSON is dropped: keeps recursion far from Python's limit
INT_TEXT = re.compile(r"-?[0-9]{1,18}")
DROP = object()
_local = threading.local()


@contextmanager
def trusted_input(trusted: bool = True):
    """Within this block clean() returns dicts and lists as they are: for input that orjson
    parsed, which is JSON-safe by construction (str keys, valid UTF-8, 64-bit numbers, no
    NaN; depth capped at the edge), so the copy would be an expensive no-op."""
    before = getattr(_local, "trusted", False)
    _local.trusted = trusted
    try:
        yield
    finally:
        _local.trusted = before


def safe_text(value: str) -> str:
    if value.isascii():  # O(1) in CPython, and nearly every string is ASCII
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:  # lone surrogates from JSON escapes break strict encoders
        return value.encode("utf-8", "replace").decode("utf-8")


def string(value: object, cap: int | None = None) -> str | None:
    if type(value) is str:  # the hot path: called for every frame field and source line
        text = value if value.isascii() else safe_text(value)
        return text[:cap] if cap and len(text) > cap else text
    if isinstance(value, str):
        text = safe_text(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        text = str(value)
    else:
        return None
    return text[:cap] if cap else text


def integer(value: object) -> int | None:
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and INT_TEXT.fullmatch(value.strip()):
        number = int(value)
    return number if number is not None and -(2**63) <= number < 2**63 else None


def clean(value: object) -> object:
    """A JSON-safe copy of value; DROP for what cannot be represented."""
    if type(value) in (dict, list):
        if getattr(_local, "trusted", False):
            return value
        # Nearly always already clean (it came from a JSON parser): copy it in C. orjson
        # refuses what needs cleaning (huge ints, odd keys, lone surrogates, depth > 254);
        # the incoming JSON is depth-capped well below that at the edge.
        try:
            return orjson.loads(orjson.dumps(value))
        except orjson.JSONEncodeError:
            pass
    return _clean_slow(value)


def _clean_slow(value: object, depth: int = 0) -> object:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth >= _MAX_DEPTH:
        return DROP
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            cleaned = _clean_slow(item, depth + 1)
            if cleaned is not DROP:
                out[safe_text(key) if isinstance(key, str) else str(key)] = cleaned
        return out
    if isinstance(value, list | tuple):
        return [c for c in (_clean_slow(item, depth + 1) for item in value) if c is not DROP]
    return DROP


def clean_dict(value: object) -> dict | None:
    return clean(value) if isinstance(value, dict) else None  # type: ignore[return-value]
