"""Store bodies, lenient and safe JSON, event ids: events/wire/event_json.py."""

import base64
import gzip
import zlib

import pytest

from events.wire.event_json import (
    MAX_EVENT_BYTES,
    MAX_JSON_DEPTH,
    decode_store_body,
    loads_json,
    normalize_event_id,
    parse_event_json,
)
from tests.support.wire import EVENT, HEX, raises, raw_deflate

pytestmark = pytest.mark.one_pass

# --- decode_store_body -----------------------------------------------------------------


SAFE_EVENT = b'{"m": "??>>~~??"}'  # its base64 contains "+" and "/"


@pytest.mark.parametrize(
    "body, expected",
    [
        (EVENT, EVENT),
        (b"  \r\n\t" + EVENT, b"  \r\n\t" + EVENT),
        (base64.b64encode(EVENT), EVENT),
        (base64.b64encode(SAFE_EVENT), SAFE_EVENT),
        (base64.urlsafe_b64encode(SAFE_EVENT), SAFE_EVENT),
        (base64.b64encode(EVENT).rstrip(b"="), EVENT),
        (base64.encodebytes(EVENT * 3), EVENT * 3),  # MIME style, with newlines
        (base64.b64encode(zlib.compress(EVENT)), EVENT),  # raven < 5.6
        (base64.b64encode(zlib.compress(EVENT)) + b"\n", EVENT),
        (base64.urlsafe_b64encode(zlib.compress(SAFE_EVENT * 20)), SAFE_EVENT * 20),
        (zlib.compress(EVENT), EVENT),
        (raw_deflate(EVENT), EVENT),
        (gzip.compress(EVENT, mtime=0), EVENT),  # mtime=0: the same test id in every process
    ],
)
def test_decode_store_body(body, expected):
    assert decode_store_body(body) == expected


def test_urlsafe_fixture_is_meaningful():
    assert set(base64.b64encode(SAFE_EVENT)) & set(b"+/")


def test_decode_store_body_returns_json_unchanged():
    assert decode_store_body(EVENT) is EVENT
    assert decode_store_body(base64.b64encode(zlib.compress(EVENT))) == EVENT


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"[1, 2]",
        b"hello world",
        base64.b64encode(b"[1,2,3]"),
        base64.b64encode(zlib.compress(b"[1,2,3]")),
        base64.b64encode(b"\x78\x9c garbage"),
        b"\x00\x01\x02\xff",
    ],
)
def test_decode_store_body_invalid(body):
    with raises(400, "invalid store body"):
        decode_store_body(body)


def test_decode_store_body_limits():
    with raises(413, "too large"):
        decode_store_body(b"{" + b" " * 200 + b"}", limit=100)
    with raises(413, "too large"):
        decode_store_body(base64.b64encode(zlib.compress(b"{" + b" " * 200 + b"}")), limit=100)
    with raises(413, "too large"):
        decode_store_body(base64.b64encode(zlib.compress(bytes(50 * MAX_EVENT_BYTES))))


# --- loads_json / parse_event_json ------------------------------------------------------


@pytest.mark.parametrize(
    "data, expected",
    [
        (b'{"a": 1}', {"a": 1}),
        (b"[1, 2.5, null, true]", [1, 2.5, None, True]),
        (b'"\xc3\xa9"', "é"),
        (b"\xef\xbb\xbf{}", {}),  # UTF-8 BOM
        (b'{"big": 123456789012345678901234567890}', {"big": 1.2345678901234568e29}),
        (b"[NaN, 123456789012345678901234567890, 7]", [float("nan"), 1.2345678901234568e29, 7]),
        (b"[NaN, 1" + b"0" * 400 + b"]", [float("nan"), float("inf")]),
    ],
)
def test_loads_json(data, expected):
    assert repr(loads_json(data)) == repr(expected)  # repr: nan != nan


def test_loads_json_accepts_nan_and_infinity():
    value = loads_json(b'{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1}')
    assert value["a"] != value["a"]
    assert value["b"] == float("inf") and value["c"] == float("-inf") and value["d"] == 1


@pytest.mark.parametrize(
    "data, detail",
    [
        (b'{"a": "\xff\xfe"}', "invalid UTF-8"),
        (b"\xff", "invalid UTF-8"),
        (b"", "invalid JSON"),
        (b'{"a": 1', "invalid JSON"),
        (b'{"a": 1}}', "invalid JSON"),
        (b"{'a': 1}", "invalid JSON"),
        (b'{"a": nan}', "invalid JSON"),
        (b"[" * 10_000, "nested too deeply"),
        (b"[" * 10_000 + b"]" * 10_000, "nested too deeply"),
        (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "nested too deeply"),
        (b"[NaN," + b"[" * 5_000 + b"]" * 5_000 + b"]", "nested too deeply"),
        (b"[NaN," + b"[" * 500 + b"]" * 500 + b"]", "nested too deeply"),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), "nested too deeply"),
        (b'["\\ud800", NaN]', "invalid JSON"),  # lone surrogate: orjson could not dump it
    ],
)
def test_loads_json_errors(data, detail):
    with raises(400, detail):
        loads_json(data)


def test_loads_json_error_mentions_position():
    with raises(400, "line 1 column 9 (char 8)"):
        loads_json(b'{"a": 1,,}')


def test_loads_json_depth_limit_is_inclusive():
    depth = MAX_JSON_DEPTH
    assert loads_json(b"[" * depth + b"]" * depth) is not None
    nested = b'{"a":' * (depth - 1) + b"[1]" + b"}" * (depth - 1)
    assert loads_json(nested)["a"]["a"]


def test_parse_event_json():
    assert parse_event_json(EVENT)["message"] == "boom"
    assert parse_event_json(b'{"extra": {"ratio": NaN}}')["extra"]["ratio"] != 0


@pytest.mark.parametrize("data", [b"[]", b'"str"', b"1", b"null"])
def test_parse_event_json_requires_object(data):
    with raises(400, "event must be a JSON object"):
        parse_event_json(data)


def test_parse_event_json_size_limit():
    data = b'{"m": "' + b"x" * 100 + b'"}'
    assert parse_event_json(data, limit=len(data))
    with raises(413, "too large"):
        parse_event_json(data, limit=len(data) - 1)
    with raises(413, "too large"):
        parse_event_json(b" " * (MAX_EVENT_BYTES + 1))


# --- normalize_event_id ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (HEX, HEX),
        (HEX.upper(), HEX),
        ("df67a0b2-c1d3-4e5f-8a9b-0c1d2e3f4a5b", HEX),
        ("{DF67A0B2-C1D3-4E5F-8A9B-0C1D2E3F4A5B}", HEX),
        ("{" + HEX + "}", HEX),
        (HEX[:-1], None),
        (HEX + "0", None),
        (HEX + "\n", None),
        ("df67a0b2c1d3-4e5f-8a9b-0c1d2e3f4a5b", None),
        ("df67a0b2-c1d34e5f-8a9b-0c1d2e3f4a5b", None),
        ("{" + HEX, None),
        ("g" * 32, None),
        ("", None),
        (None, None),
        (123, None),
        (HEX.encode(), None),
        ([HEX], None),
    ],
)
def test_normalize_event_id(value, expected):
    assert normalize_event_id(value) == expected


def test_depth_limit_matches_the_fast_check_on_both_sides():
    """The edge uses orjson.dumps as its depth check: it must agree with MAX_JSON_DEPTH."""
    ok = b'{"a":' * (MAX_JSON_DEPTH - 1) + b"{}" + b"}" * (MAX_JSON_DEPTH - 1)
    assert loads_json(ok) is not None
    deep = b'{"a":' * MAX_JSON_DEPTH + b"{}" + b"}" * MAX_JSON_DEPTH
    with raises(400, "nested too deeply"):
        loads_json(deep)
    with raises(400, "nested too deeply"):
        loads_json(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
