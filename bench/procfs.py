"""The machine as /proc shows it: processes, CPU ticks, memory, and a speed reference."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time

from bench.payload import FIXTURE

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def read_proc() -> dict[int, tuple[str, int, int, int, int]]:
    """pid -> (comm, ppid, pgid, cpu ticks, rss bytes) of every process."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                raw = f.read().decode("latin-1")
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # fields[0] is state (field 3): ppid is field 4, pgrp 5, utime 14, stime 15, rss 24.
        out[int(entry.name)] = (comm, int(fields[1]), int(fields[2]),
                                int(fields[11]) + int(fields[12]), int(fields[21]) * PAGE)  # fmt: skip
    return out


def machine_busy_ticks() -> int:
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, f.readline().split()[1:9]
        )
    return user + nice + system + irq + softirq + steal


def pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


_REFERENCE_LOOPS = 200


def _reference_pass(packed: bytes, loops: int) -> float:
    """CPU seconds of this thread for `loops` rounds of the reference workload."""
    import brotli
    import orjson

    start = time.thread_time()
    for _ in range(loops):
        lines = brotli.decompress(packed).split(b"\n")
        event = orjson.loads(lines[2])
        sum(len(str(k)) + len(str(v)) for k, v in event.items())
        orjson.dumps(event)
    return time.thread_time() - start


def _packed_fixture() -> bytes:
    import brotli

    text = json.loads(FIXTURE.read_text())["raw_envelope_text"]
    return brotli.compress(text.encode(), quality=4)


def reference_ms() -> float:
    """A fixed single-core workload (Python dict and string work, JSON, brotli on the fixture
    envelope), best of 5: the same commit ran ~2x slower on some days' machines than on
    others, so compare runs only next to this figure."""
    packed = _packed_fixture()
    best = min(_reference_pass(packed, _REFERENCE_LOOPS) for _ in range(5))
    return round(best * 1000, 1)


class SpeedProbe:
    """The reference workload in small slices while the stack runs, in the same units as
    reference_ms. The figure at rest is the best of five on a quiet machine; within one
    sitting the machine's speed changed ~1.55x between runs (reference 25 against 39 ms)
    without any process in /proc to show for it (bench/README.md), so a run is judged by
    the speed it had. CPU time of this thread only: time spent waiting for a core is left
    out."""

    LOOPS = 10  # ~1 ms of CPU, once a `period`: ~0.1 % of a core

    def __init__(self, period: float = 1.0):
        self.period, self.samples, self._next = period, [], 0.0
        self._packed = _packed_fixture()

    def maybe(self) -> None:
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.period
            seconds = _reference_pass(self._packed, self.LOOPS)
            self.samples.append(seconds * 1000 * _REFERENCE_LOOPS / self.LOOPS)

    def summary(self) -> dict | None:
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return {
            "median_ms": round(ordered[len(ordered) // 2], 1),
            "p10_ms": round(ordered[len(ordered) // 10], 1),
            "p90_ms": round(ordered[len(ordered) * 9 // 10], 1),
            "samples": len(ordered),
        }


def machine_info() -> dict:
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    from importlib.metadata import PackageNotFoundError, version

    packages = {}
    for name in ("granian", "django", "celery", "kombu", "psycopg", "redis", "orjson"):
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "reference_ms": reference_ms(),
        "sqlite": sqlite3.sqlite_version,
        "packages": packages,
    }


def cpu_between(a: dict, b: dict) -> dict:
    """CPU seconds per component between two samples, plus 'other' (the rest of the machine)."""
    names = set(a["cpu"]) | set(b["cpu"])
    out = {n: max(0, b["cpu"].get(n, 0) - a["cpu"].get(n, 0)) / CLK_TCK for n in sorted(names)}
    total = (b["busy"] - a["busy"]) / CLK_TCK
    out["other"] = max(0.0, total - sum(out.values()))
    out["total"] = total
    return {k: round(v, 2) for k, v in out.items()}
