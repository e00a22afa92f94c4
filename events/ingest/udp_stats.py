"""Counters of the UDP listener: what it received, accepted and rejected, and why.

UDP has no answer, so these (and rate-limited log lines) are how an operator sees what
was refused; `manage.py udpstats` reads the file a listener writes every second.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections import Counter
from pathlib import Path

log = logging.getLogger("events.ingest.udp")
REJECT_LOG_INTERVAL = 10.0  # seconds between two log lines for the same reason


class Stats:
    """Counters of one listener, written now and then as JSON for `manage.py udpstats`.

    Each counter has one writer: `received`/`bytes`/`backlog_full` the event loop, the rest
    the processing thread (which also writes the file), so no lock is needed."""

    def __init__(self, path: Path | None, bind: str, sock: socket.socket | None = None):
        self.path, self.bind, self.sock = path, bind, sock
        self.started = time.time()
        self.received = self.bytes = self.backlog_full = 0
        self.first_received_at = self.last_received_at = None
        self.accepted = 0
        self.last_accepted_at = None
        self.rejected: Counter[str] = Counter()
        self.handoff_seconds = 0.0
        self.handoff_batches = 0
        self.rcvbuf = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) if sock else None

    def snapshot(self) -> dict:
        rejected = dict(self.rejected)
        if self.backlog_full:
            rejected["backlog_full"] = self.backlog_full
        drops, queued = socket_counters(self.sock) if self.sock is not None else (None, None)
        return {
            "bind": self.bind,
            "pid": os.getpid(),
            "started": self.started,
            "updated": time.time(),
            "received": self.received,
            "bytes": self.bytes,
            "accepted": self.accepted,
            "rejected": rejected,
            "rejected_total": sum(rejected.values()),
            "pending": self.received - self.accepted - sum(rejected.values()),
            "first_received_at": self.first_received_at,
            "last_received_at": self.last_received_at,
            "last_accepted_at": self.last_accepted_at,
            "socket_drops": drops,
            "socket_queued_bytes": queued,
            "rcvbuf": self.rcvbuf,
            "handoff_batches": self.handoff_batches,
            "handoff_seconds": round(self.handoff_seconds, 6),
        }

    def write(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(self.snapshot(), indent=1))
            os.replace(tmp, self.path)
        except OSError:
            log.warning("could not write UDP stats to %s", self.path, exc_info=True)


def socket_counters(sock: socket.socket) -> tuple[int | None, int | None]:
    """(datagrams the kernel dropped for this socket, bytes waiting in its buffer) on Linux."""
    try:
        inode = str(os.fstat(sock.fileno()).st_ino)
    except (OSError, ValueError):
        return None, None
    for name in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(name) as table:
                next(table, None)
                for line in table:
                    fields = line.split()
                    if len(fields) >= 13 and fields[9] == inode:
                        queued = int(fields[4].partition(":")[2], 16)
                        return int(fields[12]), queued
        except (OSError, ValueError):
            continue
    return None, None


def stats_path(data_dir: Path, bind: str) -> Path:
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in bind)
    return Path(data_dir) / f"udp-stats-{safe}.json"


class RejectLog:
    """One warning per reason per interval, with the number left unlogged in between."""

    def __init__(self, interval: float = REJECT_LOG_INTERVAL):
        self.interval = interval
        self._last: dict[str, float] = {}
        self._quiet: Counter[str] = Counter()

    def __call__(self, reason: str, detail: str, addr) -> None:
        now = time.monotonic()
        if now - self._last.get(reason, -self.interval) < self.interval:
            self._quiet[reason] += 1
            return
        self._last[reason] = now
        more = self._quiet.pop(reason, 0)
        suffix = f" (+{more} more since the last message)" if more else ""
        source = f"{addr[0]}:{addr[1]}" if isinstance(addr, tuple) and len(addr) >= 2 else addr
        log.warning("udp: rejected datagram from %s: %s: %s%s", source, reason, detail, suffix)
