"""What a logging call costs the application with client/'s AggregatorHandler, whatever
the network does.

    .venv/bin/python bench/client_emit.py [--rounds 5] [--calls 2000]

For each server (one that answers 200, none listening, one that accepts and never answers,
and a UDP port nobody reads) each round makes a fresh handler and times `--calls` calls to
`logger.error("event %d", i)`, one by one: the median and the 99th percentile of a call,
and the median of a round's total. Then flush() and close() on a handler whose sender is
stuck (shutdown_timeout 0.5 s): both are bounded, and close() after a failed flush() does
not wait again. tests/client/test_transport.py checks that the calls return while the
network is held; the time is measured here, not asserted by a test, since it depends on the
machine.
"""

from __future__ import annotations

import argparse
import http.server
import logging
import socket
import statistics
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "client"))  # the client's own tree, as its tests import it

from aggregator_client import AggregatorHandler  # noqa: E402


class Ok(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@contextmanager
def answering():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://k@127.0.0.1:{server.server_address[1]}/1"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def down():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"http://k@127.0.0.1:{port}/1"  # closed: connections are refused


@contextmanager
def hanging():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(50)  # the kernel accepts; nobody answers
        yield f"http://k@127.0.0.1:{listener.getsockname()[1]}/1"


@contextmanager
def udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))  # never read: its buffer fills
        yield f"udp://k@127.0.0.1:{sock.getsockname()[1]}/1"


SERVERS = {"answers 200": answering, "down": down, "never answers": hanging, "udp": udp}


def calls(dsn: str, n: int) -> tuple[list[float], float]:
    """(seconds per call, seconds for all) for n logging calls on a fresh handler."""
    logger = logging.Logger("bench-client")
    handler = AggregatorHandler(dsn, queue_size=1000, timeout=5, shutdown_timeout=0.5)
    logger.addHandler(handler)
    each = []
    started = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        logger.error("event %d", i)
        each.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    handler.flush(0)
    handler.close()
    return each, total


def stuck_shutdown(dsn: str) -> tuple[float, float]:
    """(flush() seconds, close() seconds) on a handler whose sender never gets an answer."""
    logger = logging.Logger("bench-client-shutdown")
    handler = AggregatorHandler(dsn, queue_size=50, timeout=60, shutdown_timeout=0.5)
    logger.addHandler(handler)
    for i in range(100):
        logger.error("event %d", i)
    t = time.perf_counter()
    handler.flush()
    flushed = time.perf_counter() - t
    t = time.perf_counter()
    handler.close()
    return flushed, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    print(f"{'server':<15}{'median µs':>10}{'p99 µs':>9}{f'{args.calls} calls ms':>17}")
    for name, server in SERVERS.items():
        each, totals = [], []
        for _ in range(args.rounds):
            with server() as dsn:
                times, total = calls(dsn, args.calls)
            each += times
            totals.append(total)
        each.sort()
        p99 = each[int(len(each) * 0.99)]
        print(f"{name:<15}{statistics.median(each) * 1e6:>10.1f}{p99 * 1e6:>9.1f}"
              f"{statistics.median(totals) * 1000:>17.1f}", flush=True)  # fmt: skip
    runs = []
    for _ in range(args.rounds):
        with hanging() as dsn:
            runs.append(stuck_shutdown(dsn))
    print(f"\nsender stuck, shutdown_timeout 0.5 s: flush() median "
          f"{statistics.median(r[0] for r in runs):.2f} s, then close() median "
          f"{statistics.median(r[1] for r in runs) * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
