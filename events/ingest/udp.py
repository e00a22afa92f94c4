"""UDP ingestion (docs/protocols.md §8): raven's datagrams, the same checks as HTTP, the same queue.

UDP has no answer, so a refused datagram (its format: `events/wire/datagram.py`) is counted
under its reason (events/wire/refusal.py) and logged at a limited pace instead of answered.

Three parts:
- pure functions in `events/wire/datagram.py`: `split_datagram` (size, auth header) and
  `decode_event` (payload -> event);
- `Listener`: admission (events/ingest/admission.py: key, project, rate limit) and the
  hand-off in batches, run on one processing thread so that the asyncio loop only receives;
- `serve`: the socket (large SO_RCVBUF), the asyncio protocol, the thread, the stats file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue as queue_module
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aggregator import metrics
from events.queue import QueuedPayload
from events.wire.datagram import (
    MAX_DATAGRAM_BYTES,
    decode_event,
    payload_project,
    split_datagram,
)
from events.wire.event_json import normalize_event_id
from events.wire.refusal import Refusal

from .udp_stats import RejectLog, Stats

log = logging.getLogger(__name__)

DEFAULT_RCVBUF = 8 * 1024 * 1024
MAX_PENDING_BYTES = 64 * 1024 * 1024  # received but not yet processed, in this process
BATCH_SIZE = 500

# --- The checks that need Django ---------------------------------------------------------


@dataclass
class Listener:
    """Receives datagrams from the event loop (`submit`) and checks and hands them off on
    its own thread (`run`), in batches."""

    stats: Stats
    lookup: Callable | None = None  # public key -> keys.KeyInfo | None
    rate_check: Callable | None = None  # KeyInfo -> (seconds, scope) | None
    hand_off: Callable | None = None  # QueuedPayload -> None, may raise Refusal("overloaded")
    bulk: Callable | None = None  # list[QueuedPayload] -> None; default: handoff.hand_off_many
    max_datagram: int = MAX_DATAGRAM_BYTES
    max_pending_bytes: int = MAX_PENDING_BYTES
    batch_size: int = BATCH_SIZE
    stats_interval: float = 1.0
    reject_log: Callable = None  # type: ignore[assignment]

    def __post_init__(self):
        # Django is set up by the time a listener exists.
        from . import admission, handoff, keys, ratelimit

        self.lookup = self.lookup or keys.lookup
        self.rate_check = self.rate_check or ratelimit.check
        if self.hand_off is None:  # the real queue: batched unless told otherwise
            self.hand_off = handoff.hand_off
            self.bulk = self.bulk or handoff.hand_off_many
        # Admission without its hand-off: accepted payloads are handed off in batches.
        self._gate = admission.Gate(self.lookup, self.rate_check, hand_off=None)
        self._check_key = admission.check_key
        self._queue_errors = handoff.QUEUE_ERRORS
        self.reject_log = self.reject_log or RejectLog()
        self._inbox: queue_module.SimpleQueue = queue_module.SimpleQueue()
        self._queued_bytes = 0  # written by the event loop
        self._done_bytes = 0  # written by the processing thread
        self._stopping = threading.Event()

    # Event loop side: as little as possible.
    def submit(self, data: bytes, addr) -> None:
        stats = self.stats
        stats.received += 1
        stats.bytes += len(data)
        stats.last_received_at = time.time()
        if stats.first_received_at is None:
            stats.first_received_at = stats.last_received_at
        if self._queued_bytes - self._done_bytes + len(data) > self.max_pending_bytes:
            stats.backlog_full += 1
            return
        self._queued_bytes += len(data)
        self._inbox.put((data, addr))

    def stop(self) -> None:
        self._stopping.set()
        self._inbox.put(None)

    # Processing thread.
    def run(self) -> None:
        from django.db import close_old_connections, connection

        last_write = last_db_check = 0.0
        stop = False
        try:
            while not stop:
                batch, stop = self._take_batch()
                try:
                    if batch:
                        self.process_batch(batch)
                    now = time.monotonic()
                    if now - last_db_check >= 5.0:
                        last_db_check = now
                        close_old_connections()  # no request signals here: do their work
                except Exception:  # never let the thread die: the loop would receive in vain
                    log.exception("udp: processing failed")
                now = time.monotonic()
                if stop or now - last_write >= self.stats_interval:
                    last_write = now
                    self.stats.write()
        finally:
            connection.close()

    def _take_batch(self) -> tuple[list, bool]:
        try:
            item = self._inbox.get(timeout=self.stats_interval)
        except queue_module.Empty:
            return [], self._stopping.is_set()
        batch = []
        while item is not None:
            batch.append(item)
            if len(batch) >= self.batch_size:
                break
            try:
                item = self._inbox.get_nowait()
            except queue_module.Empty:
                break
        return batch, item is None

    def process_batch(self, batch: list) -> None:
        accepted = []
        for data, addr in batch:
            self._done_bytes += len(data)
            try:
                accepted.append(self.check(data, addr))
            except Refusal as exc:
                self.reject(exc.reason, exc.detail, addr)
            except Exception:
                log.exception("udp: unexpected error on a datagram from %s", addr)
                self.reject("internal_error", "see the traceback above", addr)
        if accepted:
            started = time.perf_counter()
            self._hand_off(accepted)
            self.stats.handoff_seconds += time.perf_counter() - started
            self.stats.handoff_batches += 1
            self.stats.last_accepted_at = time.time()

    def _hand_off(self, accepted: list[QueuedPayload]) -> None:
        if self.bulk is not None and len(accepted) > 1:
            try:
                self.bulk(accepted)
            except Refusal as exc:  # overloaded
                for payload in accepted:
                    self.reject(exc.reason, exc.detail, payload.client_ip)
                return
            except self._queue_errors:
                log.warning("udp: batched hand-off failed; handing off one by one", exc_info=True)
            else:
                self.stats.accepted += len(accepted)
                metrics.ingest_counted("udp", None, len(accepted))
                return
        for payload in accepted:
            try:
                self.hand_off(payload)
            except Refusal as exc:  # overloaded
                self.reject(exc.reason, exc.detail, payload.client_ip)
            except Exception:
                log.exception("udp: hand-off failed")
                self.reject("internal_error", "hand-off failed", payload.client_ip)
            else:
                self.stats.accepted += 1
                metrics.ingest_counted("udp", None)

    def reject(self, reason: str, detail: str, addr) -> None:
        self.stats.rejected[reason] += 1
        metrics.ingest_counted("udp", reason)
        self.reject_log(reason, detail, addr)

    def check(self, data: bytes, addr) -> QueuedPayload:
        """Admission, as for HTTP: the key before the payload is decoded."""
        auth, payload = split_datagram(data, self.max_datagram)

        def read(key) -> QueuedPayload:
            event, _ = decode_event(payload)  # validated here, queued as received
            # raven names the project in the payload, not in a path: the same check.
            self._check_key(key, auth.public_key, payload_project(event))
            return QueuedPayload(
                project_id=key.project_id,
                event_id=normalize_event_id(event.get("event_id")) or uuid.uuid4().hex,
                received=time.time(),
                kind="store",
                content_encoding="",
                # As received (base64/zlib/JSON), like the HTTP edge: a sixth of the decoded
                # size in the queue; the worker's store-body decoding reads all three forms.
                body=payload,
                client_ip=addr[0] if isinstance(addr, tuple) and addr else None,
            )

        return self._gate.admit(auth.public_key, None, read)


# --- Socket and event loop ---------------------------------------------------------------


def parse_bind(bind: str) -> tuple[str, int]:
    """`127.0.0.1:9001`, `[::1]:9001`, `:9001` (all interfaces) -> (host, port)."""
    host, sep, port = bind.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"invalid bind address {bind!r}: expected HOST:PORT")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


def open_socket(host: str, port: int, rcvbuf: int = DEFAULT_RCVBUF) -> socket.socket:
    """A bound, non-blocking UDP socket with (at least trying for) a large receive buffer.

    The kernel caps SO_RCVBUF at net.core.rmem_max; SO_RCVBUFFORCE passes the cap but needs
    CAP_NET_ADMIN (root outside a container), so it is tried first."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    if rcvbuf:
        try:
            sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), rcvbuf)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        got = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        if got < rcvbuf:  # Linux reports twice the usable size
            log.warning(
                "udp: SO_RCVBUF is %d bytes, %d asked; raise net.core.rmem_max"
                " (sysctl -w net.core.rmem_max=%d) or run with CAP_NET_ADMIN",
                got, rcvbuf, rcvbuf,
            )  # fmt: skip
    sock.bind(address)
    sock.setblocking(False)
    return sock


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, listener: Listener):
        self.submit = listener.submit
        self.stopped = False

    def datagram_received(self, data: bytes, addr) -> None:
        if not self.stopped:
            self.submit(data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP errors and the like: harmless
        log.debug("udp: socket error %s", exc)


def serve(
    bind: str,
    *,
    rcvbuf: int = DEFAULT_RCVBUF,
    max_datagram: int = MAX_DATAGRAM_BYTES,
    stats_file: Path | None = None,
    stats_interval: float = 1.0,
    batch_size: int = BATCH_SIZE,
    stop: threading.Event | None = None,
) -> Stats:
    """Run the listener until SIGINT/SIGTERM (or `stop` is set, when it runs in a thread of
    another process: aggregator/embedded_udp.py); hands off what it received before stopping."""
    host, port = parse_bind(bind)
    sock = open_socket(host, port, rcvbuf)
    bound = sock.getsockname()
    stats = Stats(stats_file, f"{bound[0]}:{bound[1]}", sock)
    listener = Listener(
        stats, max_datagram=max_datagram, stats_interval=stats_interval, batch_size=batch_size
    )
    log.info(
        "udp: listening on %s:%d (SO_RCVBUF %d bytes, stats in %s)",
        bound[0], bound[1], stats.rcvbuf, stats_file,
    )  # fmt: skip
    try:
        asyncio.run(_receive(sock, listener, stop))
    finally:
        sock.close()
    log.info("udp: stopped; %d received, %d accepted", stats.received, stats.accepted)
    return stats


async def _receive(
    sock: socket.socket, listener: Listener, stop_event: threading.Event | None = None
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests)
            pass
    if stop_event is not None:  # set from another thread: wait for it in the executor
        loop.run_in_executor(None, lambda: (stop_event.wait(), loop.call_soon_threadsafe(stop.set)))
    worker = threading.Thread(target=listener.run, name="udp-processor", daemon=True)
    worker.start()
    protocol = _Protocol(listener)
    transport, _ = await loop.create_datagram_endpoint(lambda: protocol, sock=sock)
    try:
        await stop.wait()
    finally:
        # Stop reading, let the thread hand off what was received (and write the stats
        # while the socket, whose kernel counters they include, is still open), then close.
        # Older 3.11 releases (Debian's 3.11.2) have no pause_reading for datagram
        # transports: there the protocol ignores what still arrives.
        protocol.stopped = True
        with contextlib.suppress(NotImplementedError):
            transport.pause_reading()
        listener.stop()
        await loop.run_in_executor(None, worker.join, 30)
        transport.close()
