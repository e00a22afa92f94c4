"""Memory of a running stack: every process under a root pid (./run.sh's honcho, say), with
PSS (from /proc/<pid>/smaps_rollup: shared pages divided among the processes sharing
them, so the sum is what the stack really costs) and RSS, per process and in all.

    python bench/stackmem.py <root pid> [--json]
    python bench/stackmem.py --run [--seconds 20]   # start ./run.sh, measure at rest, stop it

With --run, ./run.sh's environment is this one's (WEB_PORT, DATA_DIR, DATABASE_URL, ...);
the figures are taken `--seconds` after the web server first answers /-/health/.

Unlike throughput, these figures do not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

if not __package__:  # run as a script: the repository root makes `bench.*` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.procfs import pss_bytes  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MIB = 2**20


def _status(pid: int) -> tuple[int, int]:
    """(ppid, RSS bytes)."""
    ppid = rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("PPid:"):
                ppid = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    return ppid, rss


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)


def processes(root: int) -> list[dict]:
    """The processes under `root` (itself excluded): pid, parent, command, PSS, RSS."""
    parents = {}
    rss = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)], rss[int(entry)] = _status(int(entry))
            except OSError:
                continue
    below = []
    for pid in sorted(parents):
        p = pid
        while p and p != root:
            p = parents.get(p, 0)
        if p == root and pid != root:
            below.append(pid)
    return [
        {"pid": pid, "ppid": parents[pid], "cmd": _cmdline(pid)[:120],
         "pss": pss_bytes(pid), "rss": rss[pid]}
        for pid in below
    ]  # fmt: skip


def python_only(procs: list[dict]) -> list[dict]:
    """Leave out the shell wrappers honcho starts each Procfile line with."""
    return [p for p in procs if not p["cmd"].startswith(("/bin/sh", "sh -c"))]


def report(procs: list[dict]) -> str:
    lines = [f"{'pid':>7} {'PSS MiB':>8} {'RSS MiB':>8}  command"]
    for p in procs:
        lines.append(f"{p['pid']:>7} {p['pss'] / MIB:8.1f} {p['rss'] / MIB:8.1f}  {p['cmd']}")
    pss, rss = sum(p["pss"] for p in procs), sum(p["rss"] for p in procs)
    lines.append(
        f"{len(procs):>3} processes, PSS {pss / MIB:.1f} MiB in all (RSS {rss / MIB:.1f} MiB)"
    )
    return "\n".join(lines)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def run_and_measure(seconds: float, extra_env: dict) -> list[dict]:
    env = {**os.environ, **extra_env}
    proc = subprocess.Popen(["./run.sh"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    health = f"http://127.0.0.1:{env.get('WEB_PORT', '8000')}/-/health/"
    try:
        deadline = time.monotonic() + 600
        while not _answers(health):
            if proc.poll() is not None:
                raise RuntimeError(f"./run.sh exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the web server did not answer in 10 minutes")
            time.sleep(1)
        time.sleep(seconds)  # at rest: the worker started, beat ticked
        return processes(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=int, nargs="?", help="the stack's root pid")
    parser.add_argument("--run", action="store_true", help="start ./run.sh and measure it")
    parser.add_argument("--seconds", type=float, default=20.0, help="with --run: wait first")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.run:
        procs = run_and_measure(args.seconds, {})
    elif args.root:
        procs = processes(args.root)
    else:
        parser.error("give a root pid or --run")
    procs = python_only(procs)
    print(json.dumps(procs, indent=1) if args.json else report(procs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
