"""The handler's transports against local sockets: what goes on the wire, and that nothing
the network does (down, slow, 429) blocks or raises into the logging call."""

import gzip
import http.server
import logging
import logging.config
import os
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager

import pytest
from aggregator_client import AggregatorHandler

from events.wire import datagram
from events.wire.auth import Auth
from events.wire.envelope import parse_envelope
from events.wire.event_json import decode_store_body, parse_event_json
from tests.support.extra_packages import CLIENT, require
from tests.support.stack import wait_until

pytestmark = pytest.mark.one_pass


@pytest.fixture
def udp_receiver():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    yield sock
    sock.close()


@pytest.fixture
def logger(request):
    # Not from getLogger: pytest attaches its capturing handlers to registered loggers.
    log = logging.Logger(f"client-test-{request.node.name}")
    yield log
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()


def read_datagram(sock) -> tuple[Auth, dict]:
    data, _ = sock.recvfrom(65535)
    auth, payload = datagram.split_datagram(data)  # the server's own parser
    event, _ = datagram.decode_event(payload)
    return auth, event


def test_udp_datagram_is_what_the_listener_accepts(udp_receiver, logger):
    port = udp_receiver.getsockname()[1]
    handler = AggregatorHandler(f"udp://pubkey@127.0.0.1:{port}/12", release="r1")
    logger.addHandler(handler)
    try:
        _ = 1 / 0
    except ZeroDivisionError:
        logger.exception("charge %s failed", "c_1")
    auth, event = read_datagram(udp_receiver)
    assert auth.public_key == "pubkey" and auth.version == 7
    assert auth.client.startswith("aggregator-client/")
    assert datagram.payload_project(event) == 12
    assert event["logentry"]["message"] == "charge %s failed" and event["release"] == "r1"
    assert event["exception"]["values"][0]["type"] == "ZeroDivisionError"
    assert handler.stats() == {"sent": 1}


DICT_CONFIG_APP = """
import logging, logging.config, sys
logging.config.dictConfig({
    "version": 1,
    "handlers": {"agg": {"class": "aggregator_client.AggregatorHandler", "level": "WARNING",
                         "dsn": sys.argv[1], "environment": "staging", "tags": {"team": "pay"}}},
    "root": {"handlers": ["agg"], "level": "DEBUG"},
})
log = logging.getLogger("dictconfigured")
log.info("not sent: below the handler's level")
log.warning("disk %d%% full", 91)  # logged before `localhost` is resolved: held, then sent
"""


def test_dict_config_and_host_names(udp_receiver):
    port = udp_receiver.getsockname()[1]
    # A process of its own: dictConfig closes every handler of the process it runs in.
    run = subprocess.run(
        [sys.executable, "-c", DICT_CONFIG_APP, f"udp://k@localhost:{port}/3"],
        env={**os.environ, "PYTHONPATH": sys.modules["aggregator_client"].__path__[0] + "/.."},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0 and not run.stderr, run.stderr
    _, event = read_datagram(udp_receiver)
    assert event["logentry"]["formatted"] == "disk 91% full" and event["level"] == "warning"
    assert event["environment"] == "staging" and event["tags"] == {"team": "pay"}
    assert event["logger"] == "dictconfigured"


def test_oversized_events_are_shrunk_or_dropped(udp_receiver, logger):
    port = udp_receiver.getsockname()[1]
    handler = AggregatorHandler(f"udp://k@127.0.0.1:{port}/1")
    logger.addHandler(handler)

    def deep(n):
        if n == 0:
            raise RuntimeError("deep")
        deep(n - 1)

    try:
        deep(200)
    except RuntimeError:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "deep", (), sys.exc_info()
        )
    event = handler.build_event(record)
    for frame in event["exception"]["values"][0]["stacktrace"]["frames"]:  # 100 KB, random
        frame["pre_context"] = [os.urandom(1000).hex()]
    handler.emit(record)
    handler.transport.send(event)  # does not fit: sent without source context, fewer frames
    _, event = read_datagram(udp_receiver)  # the first one: it fitted
    assert len(event["exception"]["values"][0]["stacktrace"]["frames"]) == 100
    _, event = read_datagram(udp_receiver)
    assert len(event["exception"]["values"][0]["stacktrace"]["frames"]) == 30
    logger.error("%s", os.urandom(100_000).hex())  # incompressible: dropped
    assert handler.stats() == {"sent": 2, "dropped_too_large": 1}


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    answers: list = []
    requests: list = []
    hang_up = False  # close the connection after answering, without saying so

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append((self.path, dict(self.headers), body))
        status, headers = self.answers.pop(0) if self.answers else (200, {})
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
        self.close_connection = self.hang_up

    def log_message(self, *args):
        pass


@contextmanager
def http_server(answers=(), hang_up=False):
    handler = type("R", (Recorder,), {"answers": list(answers), "requests": [], "hang_up": hang_up})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, handler.requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("endpoint", ["envelope", "store"])
def test_http_posts_from_a_background_thread(logger, endpoint):
    with http_server() as (server, requests):
        port = server.server_address[1]
        handler = AggregatorHandler(f"http://pub@127.0.0.1:{port}/prefix/5", endpoint=endpoint)
        logger.addHandler(handler)
        logger.error("one %s", "x")
        logger.error("two")
        assert handler.flush(5)
        assert handler.stats() == {"sent": 2}
    path, headers, body = requests[0]
    assert path == f"/prefix/api/5/{endpoint}/"
    assert headers["X-Sentry-Auth"].startswith("Sentry sentry_key=pub, sentry_version=7")
    assert headers["Content-Encoding"] == "gzip"
    data = gzip.decompress(body)
    if endpoint == "envelope":
        envelope = parse_envelope(data)
        event = parse_event_json(envelope.event_item().payload)
        assert envelope.event_id == event["event_id"]
    else:
        event = parse_event_json(decode_store_body(data))
    assert event["logentry"]["formatted"] == "one x"


def test_reconnects_when_a_kept_alive_connection_was_closed(logger):
    with http_server(hang_up=True) as (server, requests):
        handler = AggregatorHandler(f"http://k@127.0.0.1:{server.server_address[1]}/1")
        logger.addHandler(handler)
        for i in range(3):
            logger.error("event %d", i)
            assert handler.flush(5)
        assert handler.stats() == {"sent": 3} and len(requests) == 3


def test_429_pauses_sending_and_counts(logger):
    with http_server([(429, {"X-Sentry-Rate-Limits": "1:error:key", "Retry-After": "1"})]) as (
        server,
        requests,
    ):
        handler = AggregatorHandler(f"http://k@127.0.0.1:{server.server_address[1]}/1")
        logger.addHandler(handler)
        logger.error("refused")
        # Answered and counted: the sender is in its pause when the next event comes.
        wait_until(lambda: handler.stats() == {"dropped_rate_limited": 1}, timeout=30,
                   what=lambda: f"the 429 to be counted ({handler.stats()})")  # fmt: skip
        logger.error("waits for the pause, then goes")
        assert handler.flush(5)
        assert handler.stats() == {"dropped_rate_limited": 1, "sent": 1}
        assert len(requests) == 2


def returns(calls, what: str) -> None:
    """Run `calls` in a thread of its own: a call that waits for the held network fails the
    test instead of hanging it."""
    thread = threading.Thread(target=calls, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), what


def hold_connects(transport) -> tuple[threading.Event, threading.Event]:
    """Every connect() of the transport's sender waits for `release`; `connecting` is set
    once one does. While it waits, the sender can take no other event."""
    connecting, release = threading.Event(), threading.Event()
    make = transport._connection

    def connection():
        conn = make()
        real_connect = conn.connect

        def connect():
            connecting.set()
            release.wait(120)
            real_connect()

        conn.connect = connect
        return conn

    transport._connection = connection
    return connecting, release


def test_server_down_never_blocks_nor_raises(logger):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    handler = AggregatorHandler(f"http://k@127.0.0.1:{port}/1", queue_size=50, shutdown_timeout=0.5)
    logger.addHandler(handler)
    connecting, release = hold_connects(handler.transport)
    logger.error("event 0")
    assert connecting.wait(30), "the sender never tried to connect"
    returns(lambda: [logger.error("event %d", i) for i in range(1, 2000)], "logging blocked")
    # The 1,999 calls all returned while the sender was held inside connect(): logging does
    # not wait for the network. One event is the sender's, 50 fill the queue, the rest are
    # dropped. (bench/client_emit.py measures what a call costs.)
    assert handler.stats() == {"dropped_queue_full": 2000 - 1 - 50}
    flushed = []  # the sender is stuck: flush gives up at its timeout
    returns(lambda: flushed.append(handler.flush()), "flush() waited for the sender")
    assert flushed == [False]
    returns(handler.close, "close() waited")  # and no second wait: flush() already failed
    assert not release.is_set() and handler.transport.thread.is_alive()
    release.set()  # now the port refuses the connection
    wait_until(lambda: "dropped_send_error" in handler.stats(), timeout=30,
               what=lambda: f"the refused connection to be counted ({handler.stats()})")  # fmt: skip
    stats = handler.stats()
    assert stats.get("dropped_send_error", 0) >= 1 and stats["dropped_queue_full"] >= 1900
    assert "sent" not in stats


def read_request(conn: socket.socket) -> bytes:
    """One whole HTTP request (headers and Content-Length body) from a client socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536) or pytest.fail(f"connection closed after {data!r}")
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += conn.recv(65536) or pytest.fail("connection closed inside the body")
    return head


def test_hanging_server_fills_the_queue_not_the_caller(logger):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(50)
        listener.settimeout(30)
        # It reads the request and never answers; the client would wait a minute for it.
        handler = AggregatorHandler(f"http://k@127.0.0.1:{listener.getsockname()[1]}/1",
                                    queue_size=5, timeout=60, shutdown_timeout=0.2)  # fmt: skip
        logger.addHandler(handler)
        logger.error("event 0")
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(30)
            assert read_request(conn).startswith(b"POST /api/1/envelope/ ")
            # The whole request is here: the sender waits for the answer, holding event 0.
            returns(lambda: [logger.error("event %d", i) for i in range(1, 200)], "logging blocked")
            # All returned meanwhile: 5 queued, the rest dropped, and nothing else happened.
            assert handler.stats() == {"dropped_queue_full": 200 - 1 - 5}


def test_broken_objects_never_raise(logger, udp_receiver):
    class Evil:
        def __str__(self):
            raise RuntimeError("no str")

        __repr__ = __str__

    handler = AggregatorHandler(f"udp://k@127.0.0.1:{udp_receiver.getsockname()[1]}/1")
    logger.addHandler(handler)
    logger.error(Evil())
    logger.error("value %s", Evil(), extra={"thing": Evil()})
    handler.transport = None
    assert handler.stats().get("sent", 0) + handler.stats().get("errors", 0) == 2


def test_no_dsn_means_a_silent_handler(logger, monkeypatch):
    monkeypatch.delenv("AGGREGATOR_DSN", raising=False)
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    handler = AggregatorHandler()
    logger.addHandler(handler)
    logger.error("nowhere")
    assert handler.stats() == {} and handler.flush() is True


@pytest.mark.parametrize(
    "dsn", ["ftp://k@h/1", "http://h/1", "http://k@h/notanumber", "udp://k@h/1"]
)
def test_bad_dsn_is_a_configuration_error(dsn):
    with pytest.raises(ValueError):
        AggregatorHandler(dsn)


def test_pip_installs_the_client():
    # ./test.sh pip-installs client/ as a user would, again whenever its files change.
    target = require(CLIENT)
    run = subprocess.run(
        [sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
         "import aggregator_client as a; print(a.__file__, a.__version__)", str(target)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert run.stdout.startswith(str(target)) and run.stdout.split()[1] == "0.1.0"
