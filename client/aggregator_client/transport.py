"""Getting events to the server without ever blocking or raising into the caller.

UdpTransport: one datagram per event (`Sentry …` auth line, blank line, zlib(JSON)), sent
from the caller's thread on a non-blocking socket. HttpTransport: a bounded queue and one
daemon thread that posts envelopes (or store bodies) over a kept-alive connection.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import queue
import socket
import ssl
import threading
import time
import uuid
import zlib
from collections import deque
from datetime import datetime, timezone
from urllib.parse import urlsplit

MAX_DATAGRAM = 65_000  # under IPv4's 65,507-byte UDP payload limit
_STOP = object()


class Dsn:
    def __init__(self, text: str):
        parts = urlsplit(text.strip())
        scheme = parts.scheme.rpartition("+")[2].lower()
        if scheme not in ("udp", "http", "https"):
            raise ValueError(f"unsupported DSN scheme {parts.scheme!r}: use udp, http or https")
        if not parts.username:
            raise ValueError("DSN without a public key")
        if not parts.hostname:
            raise ValueError("DSN without a host")
        path = parts.path.rstrip("/")
        prefix, _, project = path.rpartition("/")
        if not project.isdigit():
            raise ValueError("DSN must end with the numeric project id")
        self.scheme = scheme
        self.public_key = parts.username
        self.host = parts.hostname
        self.port = parts.port or {"http": 80, "https": 443}.get(scheme)
        if self.port is None:
            raise ValueError("a udp:// DSN needs a port")
        self.prefix = prefix
        self.project_id = int(project)

    def auth_header(self, client: str) -> str:
        return f"Sentry sentry_key={self.public_key}, sentry_version=7, sentry_client={client}"


class Counters:
    """Thread-safe counters: sent, dropped_* and errors."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


def dumps(event: dict) -> bytes:
    text = json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=repr)
    return text.encode("utf-8", "replace")  # lone surrogates would make the server refuse it


class UdpTransport:
    """Fire and forget. Host names are resolved on a background thread; until then up to
    `pending_limit` datagrams wait (so events logged at start-up are not lost)."""

    def __init__(self, dsn: Dsn, counters: Counters, client: str, shrink=None):
        self.dsn, self.counters, self.shrink = dsn, counters, shrink
        self.header = dsn.auth_header(client).encode() + b"\n\n"
        self.sock: socket.socket | None = None
        self.addr = None
        self.pending: deque = deque(maxlen=100)
        self._lock = threading.Lock()
        self._ready = threading.Event()  # set once the address is known and pending sent
        try:  # numeric host: no DNS, ready now
            self._use(socket.getaddrinfo(dsn.host, dsn.port, 0, socket.SOCK_DGRAM, 0,
                                         socket.AI_NUMERICHOST))  # fmt: skip
        except socket.gaierror:
            threading.Thread(
                target=self._resolve, name="aggregator-udp-resolve", daemon=True
            ).start()

    def _use(self, infos) -> None:
        infos = sorted(infos, key=lambda info: info[0] != socket.AF_INET)  # IPv4 first, as raven
        family, kind, proto, _, addr = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        with self._lock:
            self.sock, self.addr = sock, addr
            waiting, self.pending = list(self.pending), deque(maxlen=100)
        for datagram in waiting:
            self._sendto(datagram)
        self._ready.set()

    def _resolve(self) -> None:
        delay = 1.0
        while True:
            try:
                self._use(socket.getaddrinfo(self.dsn.host, self.dsn.port, 0, socket.SOCK_DGRAM))
                return
            except OSError:
                time.sleep(delay)
                delay = min(delay * 2, 60.0)

    def encode(self, event: dict) -> bytes | None:
        datagram = self.header + zlib.compress(dumps(event), 6)
        if len(datagram) > MAX_DATAGRAM and self.shrink is not None:
            datagram = self.header + zlib.compress(dumps(self.shrink(event)), 9)
        return datagram if len(datagram) <= MAX_DATAGRAM else None

    def send(self, event: dict) -> None:
        datagram = self.encode(event)
        if datagram is None:
            self.counters.add("dropped_too_large")
            return
        with self._lock:
            if self.sock is None:
                if len(self.pending) == self.pending.maxlen:
                    self.counters.add("dropped_unresolved")
                self.pending.append(datagram)
                return
        self._sendto(datagram)

    def _sendto(self, datagram: bytes) -> None:
        try:
            self.sock.sendto(datagram, self.addr)  # type: ignore[union-attr]
        except OSError:  # EAGAIN (buffer full), ENOBUFS, EMSGSIZE, unreachable network
            self.counters.add("dropped_send_error")
        else:
            self.counters.add("sent")

    def flush(self, timeout: float) -> bool:
        """Nothing is held back once the host name is resolved; until then, wait for it (at
        exit, logging.shutdown() flushes: events logged at start-up still leave)."""
        return self._ready.wait(timeout)

    def close(self, timeout: float) -> None:
        self.flush(timeout)
        if self.sock is not None:
            self.sock.close()


class HttpTransport:
    """A bounded queue drained by one daemon thread; drops and counts, never waits."""

    def __init__(
        self,
        dsn: Dsn,
        counters: Counters,
        client: str,
        *,
        queue_size: int = 1000,
        timeout: float = 5.0,
        endpoint: str = "envelope",
    ):
        if endpoint not in ("envelope", "store"):
            raise ValueError("endpoint must be 'envelope' or 'store'")
        self.dsn, self.counters, self.timeout, self.endpoint = dsn, counters, timeout, endpoint
        self.path = f"{dsn.prefix}/api/{dsn.project_id}/{endpoint}/"
        self.headers = {
            "X-Sentry-Auth": dsn.auth_header(client),
            "User-Agent": client,
            "Content-Encoding": "gzip",
            "Content-Type": "application/x-sentry-envelope"
            if endpoint == "envelope"
            else "application/json",
        }
        self.queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self.thread: threading.Thread | None = None
        self._pid = None
        self._conn: http.client.HTTPConnection | None = None
        self._pause_until = 0.0
        self._failures = 0
        self._closing = threading.Event()
        self._start_lock = threading.Lock()

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid() and self.thread is not None:
            return
        with self._start_lock:
            if self._pid != os.getpid() or self.thread is None:  # first use, or after a fork
                self.queue = queue.Queue(maxsize=self.queue.maxsize)
                self._conn = None
                self.thread = threading.Thread(
                    target=self._run, name="aggregator-client-sender", daemon=True
                )
                self.thread.start()
                self._pid = os.getpid()

    def send(self, event: dict) -> None:
        if self._closing.is_set():
            self.counters.add("dropped_closed")
            return
        self._ensure_thread()
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            self.counters.add("dropped_queue_full")

    def _run(self) -> None:
        while True:
            event = self.queue.get()
            try:
                if event is _STOP:
                    return
                if time.monotonic() < self._pause_until:
                    self.counters.add("dropped_rate_limited")
                    continue
                self._post(event)
            except Exception:
                self.counters.add("errors")
            finally:
                self.queue.task_done()

    def body(self, event: dict) -> bytes:
        payload = dumps(event)
        if self.endpoint == "envelope":
            sent_at = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
            header = dumps({"event_id": event.get("event_id") or uuid.uuid4().hex,
                            "sent_at": sent_at})  # fmt: skip
            item = dumps({"type": "event", "length": len(payload)})
            payload = b"\n".join([header, item, payload]) + b"\n"
        return gzip.compress(payload, 6)

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.dsn.scheme == "https":
                self._conn = http.client.HTTPSConnection(
                    self.dsn.host, self.dsn.port, timeout=self.timeout,
                    context=ssl.create_default_context(),
                )  # fmt: skip
            else:
                self._conn = http.client.HTTPConnection(
                    self.dsn.host, self.dsn.port, timeout=self.timeout
                )
        return self._conn

    def _post(self, event: dict) -> None:
        body = self.body(event)
        for attempt in (1, 2):
            reused = self._conn is not None
            try:
                conn = self._connection()
                conn.request("POST", self.path, body, self.headers)
                response = conn.getresponse()
                response.read()
                break
            except (OSError, http.client.HTTPException):
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                if reused and attempt == 1:
                    continue  # the server closed an idle kept-alive connection: reconnect once
                self._failures += 1
                self.counters.add("dropped_send_error")
                self._pause(min(60.0, 2.0 ** min(self._failures - 1, 6)))  # 1, 2, 4 … 60 s
                return
        self._failures = 0
        status = response.status
        if response.getheader("Connection", "").lower() == "close":
            self._conn.close()  # type: ignore[union-attr]
            self._conn = None
        if 200 <= status < 300:
            self.counters.add("sent")
        elif status == 429 or status == 503:
            self.counters.add("dropped_rate_limited")
            self._pause(_retry_after(response))
        else:  # 400/401/403/413: this event (or the DSN) is refused; retrying will not help
            self.counters.add(f"rejected_{status}")

    def _pause(self, seconds: float) -> None:
        """Do not send for a while; queued events wait (new ones are dropped when it fills).
        Cut short by close(), so exiting is never delayed by a pause."""
        self._pause_until = time.monotonic() + seconds
        self._closing.wait(seconds)

    def flush(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds until the queue is empty."""
        if self.thread is None or not self.thread.is_alive():
            return self.queue.unfinished_tasks == 0
        deadline = time.monotonic() + timeout
        with self.queue.all_tasks_done:
            while self.queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.queue.all_tasks_done.wait(remaining)
        return True

    def close(self, timeout: float) -> None:
        self.flush(timeout)
        self._closing.set()
        try:
            self.queue.put_nowait(_STOP)
        except queue.Full:
            pass  # a daemon thread: it ends with the interpreter anyway


def _retry_after(response) -> float:
    limits = response.getheader("X-Sentry-Rate-Limits") or ""
    for limit in limits.split(","):
        seconds = limit.strip().partition(":")[0]
        try:
            return min(3600.0, max(1.0, float(seconds)))
        except ValueError:
            continue
    try:
        return min(3600.0, max(1.0, float(response.getheader("Retry-After") or 60)))
    except ValueError:
        return 60.0
