"""Load generator: realistic sentry-python envelopes over keep-alive HTTP/1.1 connections.

Every request is rendered to bytes before the clock starts (event ids, groups,
compression), then sent by asyncio protocols (no HTTP library) over C connections in one
or two processes, so that the generator stays cheap next to the server on a small box.

    python bench/loadgen.py --dsn http://<key>@127.0.0.1:8000/1 --events 20000 --groups 50 \
        --concurrency 32 [--rate 2000] [--encoding br|gzip|none] [--json]

Burst mode (default) sends the next request as soon as a connection is free. With
`--rate R` request i is due at start + i/R; latency is then also reported from the due
time ("corrected", which includes waiting for a free connection), so a server that falls
behind shows up in the figures instead of silently slowing the generator down.

Only loopback targets are accepted; the run stops after --events requests or
--max-seconds, whichever comes first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

if not __package__:  # run as a script: the repository root makes `bench.*` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.http1 import parse_response  # noqa: E402
from bench.loadgen_report import format_report, summarize  # noqa: E402
from bench.payload import (  # noqa: E402
    FIXTURE,
    Dsn,
    Prepared,
    build_requests,
    ensure_loopback,
    parse_dsn,
)

EARLY = 0.001  # rate mode: a request may leave this much before its due time


# --- Sending ----------------------------------------------------------------------------


@dataclass
class Result:
    """What one sender process saw; `merge` adds several up."""

    sent: int = 0
    completed: int = 0
    accepted: int = 0
    status: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    accepted_by_group: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, accepted requests
    corrected: list[float] = field(default_factory=list)  # seconds from due time (rate mode)
    first_send: float | None = None  # unix time
    last_done: float | None = None  # unix time
    max_lag: float = 0.0  # rate mode: how late the latest send started, seconds
    cpu_seconds: float = 0.0  # this generator's own CPU while sending

    @classmethod
    def merge(cls, parts: list[Result]) -> Result:
        out = cls()
        for p in parts:
            out.sent += p.sent
            out.completed += p.completed
            out.accepted += p.accepted
            out.status.update(p.status)
            out.errors.update(p.errors)
            out.accepted_by_group.update(p.accepted_by_group)
            out.latencies.extend(p.latencies)
            out.corrected.extend(p.corrected)
            out.max_lag = max(out.max_lag, p.max_lag)
            out.cpu_seconds += p.cpu_seconds
        firsts = [p.first_send for p in parts if p.first_send is not None]
        lasts = [p.last_done for p in parts if p.last_done is not None]
        out.first_send = min(firsts) if firsts else None
        out.last_done = max(lasts) if lasts else None
        return out


class _Connection(asyncio.Protocol):
    def __init__(self, sender: _Sender):
        self.sender = sender
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.index: int | None = None  # request in flight
        self.sent_at = 0.0
        self.due = 0.0
        self.ready = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.ready.set_result(None)

    def data_received(self, data):
        self.buf += data
        while self.index is not None:
            try:
                parsed = parse_response(self.buf)
            except ValueError:
                self.sender.failed(self, "bad_response")
                return
            if parsed is None:
                return
            consumed, status, body, closes = parsed
            del self.buf[:consumed]
            if closes:  # no keep-alive after this answer: never write to it again
                self.sender.conns.discard(self)
                self.transport.close()
            self.sender.done(self, status, body, reuse=not closes)

    def connection_lost(self, exc):
        self.transport = None
        if not self.ready.done():
            self.ready.set_exception(exc or ConnectionError("closed"))
        self.sender.lost(self)


@dataclass(frozen=True)
class Plan:
    """How to send: connections, processes, pacing and bounds."""

    concurrency: int = 32
    processes: int = 1
    rate: float | None = None  # events/s; None sends as fast as the connections allow
    max_seconds: float = 600.0  # stop sending after this
    request_timeout: float = 30.0


class _Sender:
    """Drives C connections over one process's share of the requests."""

    def __init__(self, dsn: Dsn, prepared: Prepared, indexes, concurrency: int, plan: Plan):
        self.dsn, self.requests, self.event_ids = dsn, prepared.requests, prepared.event_ids
        self.groups = prepared.groups
        self.indexes = indexes  # global request numbers this process sends, in order
        self.next = 0
        self.concurrency, self.rate = concurrency, plan.rate
        self.deadline, self.req_timeout = plan.max_seconds, plan.request_timeout
        self.result = Result()
        self.loop = asyncio.get_running_loop()
        self.t0 = 0.0  # loop time of the start
        self.unix0 = 0.0
        self.in_flight: set[_Connection] = set()
        self.conns: set[_Connection] = set()
        self.finished = self.loop.create_future()
        self.stopping = False

    def _unix(self, loop_time: float) -> float:
        return self.unix0 + (loop_time - self.t0)

    async def connect(self) -> _Connection:
        _, conn = await self.loop.create_connection(
            lambda: _Connection(self), self.dsn.host, self.dsn.port
        )
        await conn.ready
        self.conns.add(conn)
        return conn

    async def run(self, start_unix: float) -> Result:
        conns = [await self.connect() for _ in range(self.concurrency)]
        await asyncio.sleep(max(0.0, start_unix - time.time()))
        self.t0, self.unix0 = self.loop.time(), time.time()
        for conn in conns:
            self.schedule(conn)
        watchdog = self.loop.create_task(self.watch())
        self._check_finished()
        await self.finished
        watchdog.cancel()
        for conn in self.conns:
            if conn.transport is not None:
                conn.transport.close()
        return self.result

    def schedule(self, conn: _Connection) -> None:
        if self.stopping or self.next >= len(self.indexes):
            self._check_finished()
            return
        index = self.indexes[self.next]
        self.next += 1
        conn.index, conn.sent_at = index, 0.0
        self.in_flight.add(conn)
        if self.rate:
            conn.due = self.t0 + index / self.rate
            # The event loop's timers are only millisecond-accurate anyway: anything due
            # within EARLY goes now, which also saves a wake-up per request.
            if conn.due - self.loop.time() > EARLY:
                self.loop.call_at(conn.due - EARLY, self.send, conn)
                return
        self.send(conn)

    def send(self, conn: _Connection) -> None:
        if conn.index is None:  # its connection was lost while it waited for its due time
            return
        if self.stopping:
            self._release(conn)
            return
        now = self.loop.time()
        if self.rate:
            self.result.max_lag = max(self.result.max_lag, now - conn.due)
            conn.due = min(conn.due, now)  # latency from due never counts the early start
        else:
            conn.due = now
        conn.sent_at = now
        if self.result.first_send is None:
            self.result.first_send = self._unix(now)
        self.result.sent += 1
        conn.transport.write(self.requests[conn.index])

    def done(self, conn: _Connection, status: int, body: bytes, reuse: bool = True) -> None:
        now = self.loop.time()
        result = self.result
        result.completed += 1
        result.status[status] += 1
        result.last_done = self._unix(now)
        if status == 200 and self.event_ids[conn.index] in body:
            result.accepted += 1
            result.accepted_by_group[conn.index % self.groups] += 1
            result.latencies.append(now - conn.sent_at)
            if self.rate:
                result.corrected.append(now - conn.due)
        elif status == 200:
            result.errors["200_without_event_id"] += 1
        self._release(conn)
        if reuse:
            self.schedule(conn)
        else:  # connection_lost() will follow; its replacement takes the next request
            self.result.errors["server_closed_connection"] += 1

    def failed(self, conn: _Connection, reason: str) -> None:
        self.result.errors[reason] += 1
        self._release(conn)
        if conn.transport is not None:
            conn.transport.abort()  # connection_lost() opens a replacement

    def lost(self, conn: _Connection) -> None:
        self.conns.discard(conn)
        if conn.index is not None:
            self.result.errors["connection_lost"] += 1
            self._release(conn)
        if not self.stopping:
            self.loop.create_task(self.replace(conn))

    def _release(self, conn: _Connection) -> None:
        conn.index = None
        self.in_flight.discard(conn)
        self._check_finished()

    async def replace(self, old: _Connection) -> None:
        try:
            conn = await self.connect()
        except OSError:
            self.result.errors["connect_failed"] += 1
            if self.result.errors["connect_failed"] >= 100:  # the server is gone
                self.stopping = True
            await asyncio.sleep(0.1)
            if not self.stopping:
                self.loop.create_task(self.replace(old))
            self._check_finished()
            return
        self.schedule(conn)

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            now = self.loop.time()
            if now - self.t0 > self.deadline and not self.stopping:
                self.stopping = True
                self.result.errors["stopped_at_max_seconds"] += len(self.indexes) - self.next
            for conn in list(self.in_flight):
                if (
                    conn.sent_at
                    and conn.index is not None
                    and now - conn.sent_at > self.req_timeout
                ):
                    self.failed(conn, "timeout")
            if self.stopping and now - self.t0 > self.deadline + self.req_timeout:
                for conn in list(self.in_flight):
                    self.failed(conn, "abandoned")
            self._check_finished()

    def _check_finished(self) -> None:
        exhausted = self.stopping or self.next >= len(self.indexes)
        if exhausted and not self.in_flight and not self.finished.done():
            self.finished.set_result(None)


def _send_share(dsn: Dsn, prepared: Prepared, plan: Plan, share: int, start_unix: float) -> Result:
    processes = plan.processes
    indexes = range(share, len(prepared.requests), processes)
    concurrency = plan.concurrency // processes + (share < plan.concurrency % processes)

    async def main():
        return await _Sender(dsn, prepared, indexes, concurrency, plan).run(start_unix)

    before = os.times()
    result = asyncio.run(main())
    after = os.times()
    result.cpu_seconds = (after.user + after.system) - (before.user + before.system)
    return result


def _child(conn, *args) -> None:
    try:
        conn.send(_send_share(*args))
    except BaseException as exc:  # report, do not hang the parent
        conn.send(exc)
    finally:
        conn.close()


def send_all(dsn: Dsn, prepared: Prepared, plan: Plan) -> Result:
    """Send every prepared request; the connections are spread over plan.processes processes."""
    start_unix = time.time() + 0.2 + 0.01 * plan.concurrency  # room to connect first
    if plan.processes == 1:
        return _send_share(dsn, prepared, plan, 0, start_unix)
    ctx = multiprocessing.get_context("fork")
    children, pipes = [], []
    for share in range(plan.processes):
        parent_end, child_end = ctx.Pipe(duplex=False)
        args = (child_end, dsn, prepared, plan, share, start_unix)
        proc = ctx.Process(target=_child, args=args, daemon=True)
        proc.start()
        child_end.close()
        children.append(proc)
        pipes.append(parent_end)
    parts = []
    for pipe in pipes:
        part = pipe.recv()
        if isinstance(part, BaseException):
            raise part
        parts.append(part)
    for proc in children:
        proc.join()
    return Result.merge(parts)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", required=True, help="http://<key>@127.0.0.1:<port>/<project id>")
    parser.add_argument("--events", "-n", type=int, default=20000)
    parser.add_argument("--groups", "-g", type=int, default=50)
    parser.add_argument("--concurrency", "-c", type=int, default=32)
    parser.add_argument("--rate", type=float, default=None, help="events/s (default: burst)")
    parser.add_argument("--encoding", choices=["br", "gzip", "none"], default="br")
    parser.add_argument("--processes", type=int, default=1, choices=[1, 2])
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop sending after this")
    parser.add_argument("--request-timeout", type=float, default=30.0)
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--json-out", type=Path, help="also write the JSON report here")
    args = parser.parse_args(argv)
    if args.events < 1 or args.groups < 1 or args.concurrency < 1:
        parser.error("--events, --groups and --concurrency must be positive")
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    dsn = parse_dsn(args.dsn)
    ensure_loopback(dsn.host, dsn.port)
    fixture_text = json.loads(args.fixture.read_text())["raw_envelope_text"]
    started = time.perf_counter()
    prepared = build_requests(
        fixture_text, dsn, args.events, args.groups, args.encoding, jobs=os.cpu_count() or 1
    )
    build_seconds = time.perf_counter() - started
    print(f"loadgen: built {args.events} requests in {build_seconds:.1f} s", file=sys.stderr)
    plan = Plan(args.concurrency, min(args.processes, args.concurrency), args.rate,
                args.max_seconds, args.request_timeout)  # fmt: skip
    result = send_all(dsn, prepared, plan)
    report = summarize(result, args, prepared, build_seconds)
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1) if args.json else format_report(report), flush=True)
    return 0 if result.accepted else 1


if __name__ == "__main__":
    sys.exit(main())
