"""Envelope framing: events/wire/envelope.py."""

import json

import brotli
import pytest

from events.wire.compression import decompress
from events.wire.envelope import MAX_ENVELOPE_BYTES, parse_envelope
from events.wire.event_json import MAX_JSON_DEPTH, parse_event_json
from tests.support.wire import ENV_HEADER, EVENT, FIXTURE, HEX, item, raises

pytestmark = pytest.mark.one_pass

# --- parse_envelope --------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, expected",
    [
        (ENV_HEADER, []),
        (ENV_HEADER + b"\n", []),
        (ENV_HEADER + b"\n\n", []),
        (b"{}", []),
        (ENV_HEADER + b"\n" + item(EVENT), [EVENT]),
        (ENV_HEADER + b"\n" + item(EVENT) + b"\n", [EVENT]),
        (ENV_HEADER + b"\n" + item(EVENT) + b"\n\n", [EVENT]),
        (ENV_HEADER + b"\n" + item(EVENT, False), [EVENT]),
        (ENV_HEADER + b"\n" + item(EVENT, False) + b"\n", [EVENT]),
        (ENV_HEADER + b"\n" + item(EVENT, False) + b"\n\n", [EVENT]),
        (ENV_HEADER + b"\n" + item(EVENT + b"\r", False) + b"\n", [EVENT + b"\r"]),
        (ENV_HEADER + b"\n" + item(b"a\r\nb\n\nc", type="attachment"), [b"a\r\nb\n\nc"]),
        (ENV_HEADER + b"\n" + item(b"", type="attachment"), [b""]),
        (ENV_HEADER + b"\n" + item(b"", type="attachment") + b"\n", [b""]),
        (ENV_HEADER + b"\n" + item(b"", False, type="session"), [b""]),
        (ENV_HEADER + b"\n" + b'{"type":"session"}\n\n' + item(EVENT), [b"", EVENT]),
        (
            ENV_HEADER
            + b"\n"
            + item(EVENT)
            + b"\n"
            + item(b"hello attachment\nline2\n", filename="note.txt", type="attachment")
            + b"\n"
            + item(b'{"sid":"x"}', False, type="session"),
            [EVENT, b"hello attachment\nline2\n", b'{"sid":"x"}'],
        ),
        (ENV_HEADER + b"\r\n" + item(EVENT), [EVENT]),  # "\r" after a header is JSON whitespace
        (ENV_HEADER + b"\n" + item(EVENT, length=None), [EVENT]),
    ],
)
def test_parse_envelope_framing(data, expected):
    envelope = parse_envelope(data)
    assert [i.payload for i in envelope.items] == expected
    assert all(type(i.payload) is bytes for i in envelope.items)


def test_parse_envelope_headers_and_event_item():
    data = (
        ENV_HEADER
        + b"\n"
        + item(b"att", type="attachment", filename="a.txt")
        + b"\n"
        + item(EVENT)
        + b"\n"
        + item(b"{}", type="event")
    )
    envelope = parse_envelope(data)
    assert envelope.header["sent_at"] == "2026-11-27T09:51:29.793165Z"
    assert envelope.event_id == HEX
    assert [i.type for i in envelope.items] == ["attachment", "event", "event"]
    assert envelope.items[0].header == {"type": "attachment", "filename": "a.txt", "length": 3}
    assert envelope.event_item() is envelope.items[1]


def test_parse_envelope_without_event():
    envelope = parse_envelope(b'{"event_id":"nope"}\n' + item(b"{}", type="transaction"))
    assert envelope.event_id is None
    assert envelope.event_item() is None
    assert parse_envelope(b"{}").event_id is None


@pytest.mark.parametrize("item_type", [None, 5, ["event"], {"a": 1}])
def test_envelope_item_type_non_string(item_type):
    header = {} if item_type is None else {"type": item_type}
    envelope = parse_envelope(b"{}\n" + json.dumps(header).encode() + b"\nxyz")
    assert envelope.items[0].type == ""
    assert envelope.event_item() is None


def test_parse_envelope_dashed_event_id():
    envelope = parse_envelope(b'{"event_id":"DF67A0B2-C1D3-4E5F-8A9B-0C1D2E3F4A5B"}')
    assert envelope.event_id == HEX


@pytest.mark.parametrize(
    "data, cause",
    [
        (b"", "invalid envelope header"),
        (b"\n", "invalid envelope header"),
        (b"[]\n", "invalid envelope header"),
        (b'"x"\n', "invalid envelope header"),
        (b"not json\n" + item(EVENT), "invalid envelope header"),
        (b"{}\n[]\n", "invalid item header"),
        (b"{}\n1\nabc", "invalid item header"),
        (b"{}\nnot json\n", "invalid item header"),
        (b"{}\n" + item(EVENT) + b"\n\n" + item(EVENT), "invalid item header"),  # blank line
        (b"{}\n\n" + item(EVENT), "invalid item header"),
        (b"{}\n" + item(EVENT) + b"\n\n\n", "invalid item header"),
        (b"{}\n" + item(EVENT) + b"\r\n", "missing newline"),
        (b"{}\n" + item(EVENT + b"xx", length=len(EVENT)), "missing newline"),
        (b"{}\n" + item(EVENT, length=len(EVENT) + 1), "unexpected end of file"),
        (b"{}\n" + item(EVENT, length=10**9), "unexpected end of file"),
        (b'{}\n{"type":"event","length":5}', "unexpected end of file"),
        (b"{}\n" + item(EVENT, length=-1), "invalid length"),
        (b"{}\n" + item(EVENT, length=1.5), "invalid length"),
        (b"{}\n" + item(EVENT, length=float(len(EVENT))), "invalid length"),
        (b"{}\n" + item(EVENT, length=str(len(EVENT))), "invalid length"),
        (b"{}\n" + item(EVENT, length=True), "invalid length"),
        (b"{}\n" + item(EVENT, length=[1]), "invalid length"),
        (b"[" * 200 + b"]" * 200, "invalid envelope header"),
    ],
)
def test_parse_envelope_malformed(data, cause):
    with raises(400, cause) as info:
        parse_envelope(data)
    assert info.value.detail.startswith("invalid event envelope: ")


def test_parse_envelope_header_depth_checked():
    with raises(400, "nested too deeply"):
        parse_envelope(b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1))


def test_parse_envelope_item_limits():
    items = [item(b"{}", type="session") for _ in range(5)]
    assert len(parse_envelope(b"{}\n" + b"\n".join(items), max_items=5).items) == 5
    with raises(413, "too many envelope items"):
        parse_envelope(b"{}\n" + b"\n".join(items), max_items=4)
    with raises(413, "too many envelope items"):
        parse_envelope(b"{}\n" + b"\n".join([b'{"type":"x"}\n'] * 101))


@pytest.mark.parametrize("item_type", ["event", "transaction", "feedback"])
def test_parse_envelope_event_size_limit(item_type):
    payload = b'{"m":"' + b"x" * 100 + b'"}'
    for with_length in (True, False):
        data = b"{}\n" + item(payload, with_length, type=item_type)
        assert parse_envelope(data, max_item_bytes=len(payload)).items[0].payload == payload
        with raises(413, "too large"):
            parse_envelope(data, max_item_bytes=len(payload) - 1)


def test_parse_envelope_size_limit_skips_other_items():
    data = b"{}\n" + item(b"x" * 2000, type="attachment")
    assert parse_envelope(data, max_item_bytes=100).items[0].payload == b"x" * 2000


def test_parse_envelope_total_size_limit():
    with raises(413, "too large"):
        parse_envelope(b"{}\n" + item(b"x" * MAX_ENVELOPE_BYTES, type="attachment"))


def test_parse_envelope_accepts_bytearray():
    assert parse_envelope(bytearray(b"{}\n" + item(EVENT))).items[0].payload == EVENT


def test_parse_envelope_real_capture():
    capture = json.loads(FIXTURE.read_text())
    data = capture["raw_envelope_text"].encode()
    # File paths in the payload were rewritten after the capture, so the item header's
    # "length" can be stale; re-frame the item with its real length (the framing is under
    # test elsewhere, this checks the real-world headers and payload).
    env_header, item_header, payload, *rest = data.split(b"\n")
    header = json.loads(item_header)
    if header["length"] != len(payload):
        header["length"] = len(payload)
        data = b"\n".join([env_header, json.dumps(header).encode(), payload, *rest])
    assert data.endswith(b"\n")

    envelope = parse_envelope(data)
    assert envelope.header == capture["envelope_header"]
    assert envelope.event_id == "d38c0cef27844d05943376a28d2fa61e"
    assert len(envelope.items) == 1
    event_item = envelope.event_item()
    assert event_item.type == "event"
    assert event_item.header["content_type"] == "application/json"
    event = parse_event_json(event_item.payload)
    assert event["exception"]["values"][0]["type"] == "BenchGroup000Error"
    assert event == capture["event"]

    wire = brotli.compress(data)
    decoded = decompress(wire, capture["content_encoding"], MAX_ENVELOPE_BYTES)
    assert parse_envelope(decoded).items[0].payload == payload
