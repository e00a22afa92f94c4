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


def reference_ms() -> float:
    """A fixed single-core workload (Python dict and string work, JSON, brotli on the fixture
    envelope), best of 5: the same commit ran ~2x slower on some days' machines than on
    others, so compare runs only next to this figure."""
    import brotli
    import orjson

    text = json.loads(FIXTURE.read_text())["raw_envelope_text"]
    packed = brotli.compress(text.encode(), quality=4)
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(200):
            lines = brotli.decompress(packed).split(b"\n")
            event = orjson.loads(lines[2])
            sum(len(str(k)) + len(str(v)) for k, v in event.items())
            orjson.dumps(event)
        best = min(best, time.process_time() - start)
    return round(best * 1000, 1)


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
