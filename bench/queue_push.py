"""CPU of the embedded queue's push, alone and with writers contending.

    python bench/queue_push.py [--pushes 5000] [--rounds 6] [--threads 3] [--processes 2]

Pushes 3.3 KB payloads (the benchmark envelope's size on the wire) into a fresh SQLite queue
(events/queue/sqlite.py) in a temporary folder, first from one thread (CPU µs per push, the
median of --rounds), then from --processes forked processes of --threads threads each, as
granian's workers push in a burst (CPU µs per push of all of them, and pushes/s). No Django,
no server: the queue's own cost, to compare changes to it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

if not __package__:  # run as a script: the repository root makes `events.*` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from events.queue.payload import QueuedPayload  # noqa: E402
from events.queue.sqlite import SqliteQueue  # noqa: E402

BODY = os.urandom(3300)


def payload(n: int) -> QueuedPayload:
    return QueuedPayload(project_id=1, event_id=f"{n:032x}", received=time.time(),
                         kind="envelope", content_encoding="br", body=BODY)  # fmt: skip


def alone(folder: str, pushes: int) -> float:
    """CPU µs per push, one thread, after a first push that makes the file."""
    queue = SqliteQueue(os.path.join(folder, f"alone-{time.monotonic_ns()}.sqlite3"))
    queue.push(payload(0))
    items = [payload(n) for n in range(1, pushes + 1)]
    start = time.process_time()
    for item in items:
        queue.push(item)
    return (time.process_time() - start) / pushes * 1e6


def _pusher(path: str, pushes: int, threads: int, barrier) -> None:
    queue = SqliteQueue(path)

    def push(k: int) -> None:
        for n in range(pushes):
            queue.push(payload(k * pushes + n))

    workers = [threading.Thread(target=push, args=(k,)) for k in range(threads)]
    barrier.wait()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def contended(folder: str, pushes: int, threads: int, processes: int) -> tuple[float, float]:
    """(CPU µs per push of all the processes, pushes/s) with every thread pushing at once."""
    path = os.path.join(folder, "contended.sqlite3")
    SqliteQueue(path).backlog()  # the schema, before the processes fork
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes + 1)
    procs = [context.Process(target=_pusher, args=(path, pushes, threads, barrier))
             for _ in range(processes)]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for proc in procs:
        proc.start()
    barrier.wait()
    start = time.perf_counter()
    for proc in procs:
        proc.join()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = pushes * threads * processes
    if SqliteQueue(path).backlog() != total:
        raise RuntimeError("pushes went missing")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu / total * 1e6, total / wall


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pushes", type=int, default=5000, help="per thread")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        runs = [alone(folder, args.pushes) for _ in range(args.rounds)]
        print(f"one thread: {statistics.median(runs):.1f} µs CPU per push (median of "
              f"{args.rounds}: {', '.join(f'{r:.1f}' for r in runs)})")  # fmt: skip
        cpu, rate = contended(folder, args.pushes // 2, args.threads, args.processes)
        print(f"{args.processes} processes × {args.threads} threads: {cpu:.1f} µs CPU per push,"
              f" {rate:,.0f} pushes/s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
