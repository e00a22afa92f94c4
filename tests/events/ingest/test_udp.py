"""The UDP listener's checks, without sockets: every bad datagram lands in its reason."""

import base64
import json
import logging
import os
import zlib

import pytest

from events.ingest import handoff, udp, udp_stats
from events.ingest.keys import KeyInfo, KeysUnavailable
from events.processing import prepare
from events.wire.event_json import decode_store_body
from events.wire.refusal import REASONS
from tests.support.datagrams import datagram, header, raven_event

KEY = "a" * 32
OTHER = "b" * 32
DISABLED = "c" * 32
KEYS = {
    KEY: KeyInfo(1, 7, True, None, None),
    OTHER: KeyInfo(2, 8, True, None, None),
    DISABLED: KeyInfo(3, 7, False, None, None),
}


def zlib_bomb() -> bytes:
    return base64.b64encode(zlib.compress(b"{" + b" " * (20 * 1024 * 1024) + b"}", 9))


class Harness:
    def __init__(self, limited=False, overloaded=False, keys_down=False):
        self.handed = []
        self.logged = []

        def lookup(public_key):
            if keys_down:
                raise KeysUnavailable
            return KEYS.get(public_key)

        def hand_off(payload):
            if overloaded:
                raise handoff.overloaded(10)
            self.handed.append(payload)

        self.stats = udp_stats.Stats(None, "test")
        self.listener = udp.Listener(
            self.stats,
            lookup=lookup,
            rate_check=lambda key: (30, "key") if limited else None,
            hand_off=hand_off,
            reject_log=lambda reason, detail, addr: self.logged.append((reason, detail)),
        )

    def feed(self, *datagrams):
        for data in datagrams:
            self.listener.submit(data, ("127.0.0.1", 5000))
        batch, _ = self.listener._take_batch()
        self.listener.process_batch(batch)
        return self.stats


# (name, datagram, reason); None = accepted
TABLE = [
    ("raven base64(zlib(json))", lambda: datagram(KEY, raven_event(7)), None),
    ("plain zlib payload", lambda: datagram(KEY, raven_event(7), "zlib"), None),
    ("plain JSON payload", lambda: datagram(KEY, raven_event(7), "json"), None),
    ("no project in the payload", lambda: datagram(KEY, raven_event()), None),
    ("CRLF and spaces around the payload", lambda: datagram(KEY, raven_event(7)) + b"\r\n", None),
    ("CRLF blank line after the header", lambda: datagram(KEY, raven_event(7)).replace(b"\n\n", b"\r\n\r\n"), None),
    ("oversized datagram", lambda: datagram(KEY, raven_event(7, extra={"x": "y" * 70_000}), "json"), "too_large"),
    ("zlib bomb", lambda: header(KEY) + b"\n\n" + zlib_bomb(), "too_large"),
    ("truncated zlib", lambda: datagram(KEY, raven_event(7), "zlib")[:-20], "bad_payload"),
    ("truncated base64 zlib", lambda: datagram(KEY, raven_event(7))[:-40], "bad_payload"),
    ("random bytes after a header", lambda: header(KEY) + b"\n\n" + bytes(range(256)) * 3, "bad_payload"),
    ("random bytes", lambda: bytes(range(256)) * 3, "missing_auth"),
    ("empty datagram", lambda: b"", "missing_auth"),
    ("JSON without a header", lambda: json.dumps(raven_event(7)).encode(), "missing_auth"),
    ("base64 without a header", lambda: datagram(KEY, raven_event(7)).split(b"\n\n", 1)[1], "missing_auth"),
    ("header without sentry_key", lambda: b"Sentry sentry_version=6\n\n{}", "missing_auth"),
    ("header not Sentry", lambda: b"Bearer abc\n\n{}", "bad_auth"),
    ("header not UTF-8", lambda: b"Sentry sentry_key=\xff\xfe\n\n{}", "bad_auth"),
    ("protocol version 8", lambda: header(KEY, "8") + b"\n\n{}", "bad_auth"),
    ("wrong key", lambda: datagram("f" * 32, raven_event(7)), "unknown_key"),
    ("disabled key", lambda: datagram(DISABLED, raven_event(7)), "disabled_key"),
    ("key of another project", lambda: datagram(OTHER, raven_event(7)), "wrong_project"),
    ("unknown project", lambda: datagram(KEY, raven_event(999_999)), "wrong_project"),
    ("project not a number", lambda: datagram(KEY, raven_event("web")), "bad_project"),
    ("project a list", lambda: datagram(KEY, raven_event(None, project=[7])), "bad_project"),
    ("JSON array payload", lambda: header(KEY) + b"\n\n" + base64.b64encode(zlib.compress(b"[1,2]")), "bad_payload"),
    ("malformed JSON", lambda: header(KEY) + b'\n\n{"event_id": ', "bad_json"),
    ("JSON nested too deep", lambda: header(KEY) + b'\n\n{"a":' + b"[" * 5000 + b"]" * 5000 + b"}", "bad_json"),
]  # fmt: skip


@pytest.mark.parametrize("name, build, reason", TABLE, ids=[row[0] for row in TABLE])
def test_datagram_table(name, build, reason):
    harness = Harness()
    stats = harness.feed(build())
    assert stats.received == 1
    if reason is None:
        assert stats.accepted == 1 and not stats.rejected, harness.logged
        [payload] = harness.handed
        assert (payload.project_id, payload.kind, payload.content_encoding) == (7, "store", "")
        assert prepare.decode(payload)[0]["level"] == 40  # what the worker reads
        assert payload.client_ip == "127.0.0.1"
    else:
        assert stats.accepted == 0 and dict(stats.rejected) == {reason: 1}, harness.logged
        assert harness.logged[0][0] == reason and harness.logged[0][1]
        assert reason in REASONS


def test_event_id_is_kept_or_generated():
    harness = Harness()
    event = raven_event(7)
    without = raven_event(7)
    del without["event_id"]
    harness.feed(datagram(KEY, event), datagram(KEY, without))
    assert harness.handed[0].event_id == event["event_id"]
    assert len(harness.handed[1].event_id) == 32


@pytest.mark.parametrize("kwargs, reason", [
    ({"limited": True}, "rate_limited"),
    ({"overloaded": True}, "overloaded"),
    ({"keys_down": True}, "keys_unavailable"),
])  # fmt: skip
def test_refusals_that_are_not_the_clients_fault(kwargs, reason):
    harness = Harness(**kwargs)
    stats = harness.feed(datagram(KEY, raven_event(7)), datagram(KEY, raven_event(7)))
    assert dict(stats.rejected) == {reason: 2} and stats.accepted == 0


def test_a_bug_is_counted_not_fatal(monkeypatch):
    harness = Harness()
    monkeypatch.setattr(udp, "decode_event", lambda payload: 1 / 0)
    stats = harness.feed(datagram(KEY, raven_event(7)))
    assert dict(stats.rejected) == {"internal_error": 1}


def test_memory_bound_drops_and_counts():
    harness = Harness()
    harness.listener.max_pending_bytes = 2000
    data = datagram(KEY, raven_event(7))
    for _ in range(10):
        harness.listener.submit(data, ("127.0.0.1", 1))
    batch, _ = harness.listener._take_batch()
    harness.listener.process_batch(batch)
    snapshot = harness.stats.snapshot()
    kept = 2000 // len(data)
    assert snapshot["accepted"] == kept and snapshot["rejected"] == {"backlog_full": 10 - kept}
    assert snapshot["pending"] == 0


def test_reject_log_is_rate_limited(caplog):
    log = udp_stats.RejectLog(interval=60)
    with caplog.at_level(logging.WARNING, logger="events.ingest.udp"):
        for _ in range(100):
            log("bad_json", "invalid JSON", ("10.0.0.1", 5))
        log("unknown_key", "who?", ("10.0.0.1", 5))
        log._last["bad_json"] -= 61
        log("bad_json", "invalid JSON", ("10.0.0.1", 5))
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert "10.0.0.1:5" in lines[0] and "(+99 more" in lines[2]


@pytest.mark.parametrize("bind, expected", [
    ("127.0.0.1:9001", ("127.0.0.1", 9001)),
    ("[::1]:9001", ("::1", 9001)),
    (":9001", ("0.0.0.0", 9001)),
    ("0.0.0.0:0", ("0.0.0.0", 0)),
])  # fmt: skip
def test_parse_bind(bind, expected):
    assert udp.parse_bind(bind) == expected


@pytest.mark.parametrize("bind", ["9001", "host:", "host:http", "h:70000"])
def test_parse_bind_rejects(bind):
    with pytest.raises(ValueError):
        udp.parse_bind(bind)


def test_socket_gets_a_large_receive_buffer_and_kernel_counters():
    sock = udp.open_socket("127.0.0.1", 0, 4 * 1024 * 1024)
    try:
        if os.geteuid() == 0:  # SO_RCVBUFFORCE; others get at most net.core.rmem_max
            assert sock.getsockopt(udp.socket.SOL_SOCKET, udp.socket.SO_RCVBUF) >= 4 * 1024 * 1024
        drops, queued = udp_stats.socket_counters(sock)
        assert drops == 0 and queued == 0
    finally:
        sock.close()


def test_raw_zlib_ending_in_whitespace_bytes_is_not_corrupted():
    """zlib's trailing checksum can end in b"\\n" or b" "; stripping it broke ~1 in 40."""
    for n in range(5000):
        body = json.dumps({"message": f"event {n}", "level": "error"}).encode()
        compressed = zlib.compress(body, 6)
        if compressed[-1:] in (b"\n", b" ", b"\t", b"\r"):
            break
    else:
        pytest.fail("no compressed body ending in whitespace found")
    event, raw = udp.decode_event(compressed)
    assert raw == body and event["message"] == f"event {n}"


def test_listener_accepts_and_queues_raw_zlib_ending_in_whitespace_intact():
    """The whole path, not only decode_event: check() must not strip the payload either."""
    for n in range(5000):
        event = raven_event(7, message=f"event {n}")
        body = json.dumps(event).encode()
        compressed = zlib.compress(body, 6)
        if compressed[-1:] in (b"\n", b" ", b"\t", b"\r"):
            break
    else:
        pytest.fail("no compressed body ending in whitespace found")
    harness = Harness()
    stats = harness.feed(header(KEY) + b"\n\n" + compressed)
    assert stats.accepted == 1 and not stats.rejected, harness.logged
    queued = harness.handed[0].body
    assert queued == compressed
    assert decode_store_body(queued) == body


def test_stop_hands_off_and_returns_where_datagram_transports_cannot_pause(monkeypatch):
    """Debian's Python 3.11.2 has no pause_reading for datagram transports: stopping raised
    NotImplementedError in the worker's UDP thread before the received datagrams were handed
    off (seen at `docker compose stop`)."""
    import asyncio.selector_events
    import socket
    import threading
    import time

    def cannot_pause(self):
        raise NotImplementedError

    monkeypatch.setattr(
        asyncio.selector_events._SelectorDatagramTransport, "pause_reading", cannot_pause
    )
    harness = Harness()
    sock = udp.open_socket("127.0.0.1", 0, 1024 * 1024)
    stop, failures = threading.Event(), []

    def serve():
        try:
            asyncio.run(udp._receive(sock, harness.listener, stop))
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            failures.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        deadline = time.monotonic() + 10
        while not harness.handed and time.monotonic() < deadline:
            sender.sendto(datagram(KEY, raven_event(7)), sock.getsockname())
            time.sleep(0.05)
        sent_before_stop = len(harness.handed)
        stop.set()
        thread.join(35)
    finally:
        sender.close()
        sock.close()
    assert not thread.is_alive() and failures == []
    assert sent_before_stop >= 1 and len(harness.handed) >= sent_before_stop
