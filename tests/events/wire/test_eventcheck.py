"""check_event_json, the edge's cheap event check, against parse_event_json, the authority:
same event id for what both take, the same error for what the slow path refuses."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.wire import eventcheck
from events.wire.event_json import (
    MAX_EVENT_BYTES,
    MAX_JSON_DEPTH,
    normalize_event_id,
    parse_event_json,
)
from events.wire.eventcheck import check_event_json
from events.wire.refusal import Refusal
from tests.support.wire import EVENT, FIXTURE, FUZZ, mutated, raises

pytestmark = pytest.mark.one_pass

HEX = "df67a0b2c1d34e5f8a9b0c1d2e3f4a5b"


def slow(data: bytes, limit: int = MAX_EVENT_BYTES) -> str | None:
    return normalize_event_id(parse_event_json(data, limit).get("event_id"))


def outcome(func, *args):
    try:
        return ("ok", func(*args))
    except Refusal as exc:
        return ("error", exc.status, exc.detail)


def fixture_event() -> bytes:
    return json.load(open(FIXTURE))["raw_envelope_text"].split("\n")[2].encode()


@pytest.mark.parametrize(
    "data, expected",
    [
        (EVENT, HEX),
        (fixture_event(), "d38c0cef27844d05943376a28d2fa61e"),
        (b'{"event_id": "{DF67A0B2-C1D3-4E5F-8A9B-0C1D2E3F4A5B}"}', HEX),
        (b'{"message": "no id"}', None),
        (b'{"event_id": 12}', None),
        (b'{"event_id": {"nested": "' + HEX.encode() + b'"}}', None),
        (b'{"event_id": ["' + HEX.encode() + b'"]}', None),
        (b'{"event_id": "not hex"}', None),
        (b'{"event_id": "' + HEX.encode() + b'", "x": NaN}', HEX),  # slow path: NaN
        (b'{"event_id": "' + HEX.encode() + b'", "n": 123456789012345678901234567890}', HEX),
        (b'\xef\xbb\xbf{"event_id": "' + HEX.encode() + b'"}', HEX),  # a BOM
        # A repeated key: the last one counts, as in every JSON parser we use.
        (b'{"event_id": "' + b"a" * 32 + b'", "event_id": "' + HEX.encode() + b'"}', HEX),
        (b'{"event_id": 5, "event_id": "' + HEX.encode() + b'"}', HEX),
        (b'{"event_id": "' + HEX.encode() + b'", "event_id": 5}', None),
    ],
)
def test_event_id(data, expected):
    assert check_event_json(data) == expected
    assert slow(data) == expected


@pytest.mark.parametrize(
    "data, status, detail",
    [
        (b"[]", 400, "event must be a JSON object"),
        (b'"text"', 400, "event must be a JSON object"),
        (b"", 400, "invalid JSON"),
        (b'{"a": 1', 400, "invalid JSON"),
        (b'{"a": 1}x', 400, "invalid JSON"),
        (b'{"a": "\xff"}', 400, "invalid UTF-8"),
        (b'{"a": "\\ud800", "b": NaN}', 400, "invalid JSON"),
        (b'{"a":' * MAX_JSON_DEPTH + b"{}" + b"}" * MAX_JSON_DEPTH, 400, "nested too deeply"),
        (b" " * (MAX_EVENT_BYTES + 1), 413, "too large"),
    ],
)
def test_refused_as_the_slow_path_refuses(data, status, detail):
    with raises(status, detail):
        check_event_json(data)
    assert outcome(check_event_json, data) == outcome(slow, data)


def test_without_the_id_it_only_validates():
    assert check_event_json(EVENT, want_id=False) is None
    assert (
        check_event_json(b'{"event_id": "' + HEX.encode() + b'", "x": NaN}', want_id=False) is None
    )
    with raises(400, "invalid JSON"):
        check_event_json(b'{"event_id": 1', want_id=False)
    with raises(400, "event must be a JSON object"):
        check_event_json(b"[1]", want_id=False)


def test_depth_limit():
    """Up to MAX_JSON_DEPTH levels pass, by either path; brackets inside strings only send
    the document down the slow path."""
    nested = b'{"a":' * (MAX_JSON_DEPTH - 1) + b"{}" + b"}" * (MAX_JSON_DEPTH - 1)
    assert check_event_json(nested) is None
    quoted = b'{"event_id": "' + HEX.encode() + b'", "repr": "' + b"[{" * 300 + b'"}'
    assert check_event_json(quoted) == HEX


def test_size_limit_is_inclusive():
    data = b'{"m": "' + b"x" * 100 + b'"}'
    assert check_event_json(data, len(data)) is None
    with raises(413, "too large"):
        check_event_json(data, len(data) - 1)


def test_the_threads_parser_stays_usable():
    """A value kept from a document would pin the thread's parser (simdjson refuses to reuse
    it): after a nested event_id and after a document too big to share it, the next event
    still parses with the thread's own parser."""
    check_event_json(b'{"event_id": {"a": [1, 2]}}')
    parser = eventcheck._simd_parser(100)
    big = b'{"event_id": "' + HEX.encode() + b'", "pad": "' + b"x" * 100_000 + b'"}'
    assert check_event_json(big) == HEX
    assert eventcheck._simd_parser(100) is parser
    doc = parser.parse(EVENT)  # raises if an earlier document were still referenced
    assert doc.get("event_id") == HEX
    del doc


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@st.composite
def events(draw) -> bytes:
    event = draw(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5))
    if draw(st.booleans()):
        event["event_id"] = draw(st.sampled_from([HEX, HEX.upper(), "x", 7, None, [HEX]]))
    return json.dumps(event, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


@FUZZ
@given(st.one_of(events(), st.binary(max_size=200), mutated(EVENT), events().flatmap(mutated)))
def test_fuzz_same_answer_as_the_slow_path(data):
    assert outcome(check_event_json, data) == outcome(slow, data)
