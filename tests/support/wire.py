"""Shared by the tests of events/wire: sample events, envelopes and encodings, `raises`,
and hypothesis strategies for fuzzing parsers."""

import contextlib
import gzip
import json
import zlib

import brotli
import pytest
import zstandard
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from events.wire import datagram
from events.wire.refusal import Refusal
from tests.support.payloads import FIXTURES

FIXTURE = FIXTURES / "sentry_python_envelope.json"
HEX = "df67a0b2c1d34e5f8a9b0c1d2e3f4a5b"
EVENT = b'{"event_id":"df67a0b2c1d34e5f8a9b0c1d2e3f4a5b","level":"error","message":"boom"}'


@contextlib.contextmanager
def raises(status: int, match: str = ""):
    """Expect a Refusal with `status` whose detail contains `match`."""
    with pytest.raises(Refusal) as info:
        yield info
    assert info.value.status == status, info.value.detail
    assert match in info.value.detail


class CaseInsensitiveHeaders(dict):
    """Stands in for Django's request.headers: lookups ignore case."""

    def __init__(self, data):
        super().__init__({k.title(): v for k, v in data.items()})

    def get(self, key, default=None):
        return super().get(key.title(), default)


PAYLOAD = json.dumps({"message": "x" * 5000, "extra": list(range(500))}).encode()


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


ENCODERS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
}


ENV_HEADER = b'{"event_id":"' + HEX.encode() + b'","sent_at":"2026-11-27T09:51:29.793165Z"}'


def item(payload: bytes, with_length: bool = True, **header) -> bytes:
    header.setdefault("type", "event")
    if with_length:
        header.setdefault("length", len(payload))
    return json.dumps(header).encode() + b"\n" + payload


UDP_HEADER = (
    b"Sentry sentry_timestamp=1795773159.93, sentry_client=raven-python/3.6.1, "
    b"sentry_version=2.0, sentry_key=pub, sentry_secret=secret"
)


VALID_ENVELOPE = (
    ENV_HEADER
    + b"\n"
    + item(EVENT)
    + b"\n"
    + item(b"hi\nthere", type="attachment", filename="a")
    + b"\n"
    + item(b'{"sid":1}', False, type="session")
    + b"\n"
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated(draw, base: bytes):
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip" and pos < len(data):
            data[pos] = draw(st.integers(0, 255))
        elif action == "insert":
            data[pos:pos] = draw(st.sampled_from([b"\n", b"\r", b"{", b"}", b'"', b"0", b"\xff"]))
        elif action == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        else:
            del data[pos:]
    return bytes(data)


def only_protocol_errors(func, *args):
    try:
        func(*args)
    except Refusal as exc:
        assert exc.status in (400, 401, 403, 413)
        assert isinstance(exc.detail, str) and exc.detail


def datagram_event(data: bytes) -> dict:
    return datagram.decode_event(datagram.split_datagram(data)[1])[0]
