"""Fuzzing every parser of events/wire: only a Refusal, with a 4xx status and a detail, may escape."""

import base64
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.wire.auth import extract_auth, parse_dsn
from events.wire.compression import decompress
from events.wire.envelope import parse_envelope
from events.wire.event_json import decode_store_body, parse_event_json
from tests.support.wire import (
    ENCODERS,
    EVENT,
    FUZZ,
    UDP_HEADER,
    VALID_ENVELOPE,
    datagram_event,
    mutated,
    only_protocol_errors,
)

pytestmark = pytest.mark.one_pass


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(VALID_ENVELOPE)))
def test_fuzz_parse_envelope(data):
    only_protocol_errors(parse_envelope, data)
    only_protocol_errors(parse_envelope, data, 2, 50)


COMPRESSED = {encoding: encode(VALID_ENVELOPE) for encoding, encode in ENCODERS.items()}


@FUZZ
@given(
    st.sampled_from(sorted(ENCODERS)),
    st.one_of(st.binary(max_size=300), st.just(b"")),
    st.data(),
)
def test_fuzz_decompress(encoding, random_bytes, data):
    corrupted = data.draw(mutated(COMPRESSED[encoding]))
    only_protocol_errors(decompress, random_bytes, encoding, 10_000)
    only_protocol_errors(decompress, corrupted, encoding, 10_000)
    only_protocol_errors(decompress, corrupted, encoding, 100)


STORE_BODIES = [EVENT, base64.b64encode(zlib.compress(EVENT)), zlib.compress(EVENT)]


@FUZZ
@given(st.one_of(st.binary(max_size=300), *(mutated(body) for body in STORE_BODIES)))
def test_fuzz_store_body_and_event_json(data):
    only_protocol_errors(decode_store_body, data)
    only_protocol_errors(decode_store_body, data, 50)
    only_protocol_errors(parse_event_json, data)
    only_protocol_errors(datagram_event, UDP_HEADER + b"\n\n" + data)
    only_protocol_errors(datagram_event, data)


@FUZZ
@given(st.text(max_size=200), st.text(max_size=50))
def test_fuzz_auth_and_dsn(text, version):
    only_protocol_errors(parse_dsn, text)
    only_protocol_errors(extract_auth, {"X-Sentry-Auth": "Sentry " + text}, {})
    only_protocol_errors(extract_auth, {"Authorization": text}, {"sentry_version": version})
    only_protocol_errors(extract_auth, {}, {"sentry_key": "k", "sentry_version": version})
