"""Reproduce the benchmark figures with one command.

    .venv/bin/python bench/run.py --backend postgres|embedded --events 20000 --groups 50 \
        --concurrency 32 [--rate R] [--repeat 3] [--json] [--profile]

Each run starts its own stack in a temporary DATA_DIR (postgres: a fresh `bench_<random>`
database on 127.0.0.1:5432 and Redis db 14, both cleaned up afterwards; embedded: SQLite and
the file broker), migrates, creates a project, starts granian, a Celery worker and Celery
beat as in the Procfile, runs bench/loadgen.py against it, and then watches the database
until every accepted event is stored. See bench/README.md for what each figure means.

With --repeat K the runs happen one after the other, each in a fresh stack, and the
summary reports medians. Everything started is stopped at the end, on error and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOADGEN = ROOT / "bench" / "loadgen.py"
FIXTURE = ROOT.parent / "shared" / "fixtures" / "sentry_python_envelope.json"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/14"
CLK_TCK = os.sysconf("SC_CLK_TCK")
FINE_POLL_BELOW = 1000  # events still to store: two ingest batches
PAGE = os.sysconf("SC_PAGE_SIZE")
# Variables of ours that would leak a developer's configuration into the bench stack.
APP_ENV = (
    "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "INGEST_QUEUE_URL", "DATA_DIR", "BASE_URL",
    "ALLOWED_HOSTS", "SECRET_KEY", "INGEST_BATCH_SIZE", "INGEST_VISIBILITY_TIMEOUT",
    "INGEST_AUTO_DRAIN", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE", "DEBUG",
    "WORKER_NICE",
)  # fmt: skip


# --- Pure helpers (tested in tests/bench) -----------------------------------------------


def median_or_none(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    median = statistics.median(values)  # an even count averages the middle two
    if all(isinstance(v, int) for v in values) and median == int(median):
        return int(median)
    return round(median, 2)


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (t, y) points: how fast the backlog grows, per second."""
    if len(points) < 2:
        return None
    n = len(points)
    mt = sum(t for t, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    if var == 0:
        return None
    return sum((t - mt) * (y - my) for t, y in points) / var


def downsample(series: list, max_points: int) -> list:
    """At most max_points items, evenly spread, always keeping the first and the last."""
    if len(series) <= max_points:
        return list(series)
    step = (len(series) - 1) / (max_points - 1)
    return [series[round(i * step)] for i in range(max_points)]


def expected_group_counts(n: int, groups: int) -> list[int]:
    """Events per group when event i belongs to group i % groups (as loadgen builds them)."""
    return [n // groups + (1 if g < n % groups else 0) for g in range(groups)]


GROUP_RE = re.compile(r"BenchGroup(\d{3})Error")


def check_issues(issues: list[tuple[str, int]], accepted_by_group: list[int]) -> list[str]:
    """Problems with the formed issues: (title, times_seen) against what was accepted."""
    problems = []
    seen: Counter = Counter()
    for title, times_seen in issues:
        match = GROUP_RE.search(title)
        if not match:
            problems.append(f"unexpected issue {title!r} ({times_seen} events)")
            continue
        group = int(match.group(1))
        seen[group] += 1
        expected = accepted_by_group[group] if group < len(accepted_by_group) else 0
        if times_seen != expected:
            problems.append(f"{title!r}: times_seen {times_seen}, accepted {expected}")
    for group, count in sorted(seen.items()):
        if count > 1:
            problems.append(f"group {group} split into {count} issues")
    missing = [g for g, n in enumerate(accepted_by_group) if n and g not in seen]
    if missing:
        problems.append(f"no issue for {len(missing)} group(s), e.g. {missing[:5]}")
    return problems


def summarize_collapsed(lines, top: int = 15) -> dict:
    """Top functions of a py-spy "raw" (collapsed stacks) profile: own and total samples."""
    own: Counter = Counter()
    total: Counter = Counter()
    samples = 0
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short_frame(f) for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    pct = (lambda n: round(100 * n / samples, 1)) if samples else (lambda n: 0.0)
    return {
        "samples": samples,
        "own": [(f, pct(n)) for f, n in own.most_common(top)],
        "total": [(f, pct(n)) for f, n in total.most_common(top * 2)],
    }


def _short_frame(frame: str) -> str:
    """'digest.py:store_batch' from 'store_batch (events/digest.py:312)'."""
    match = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame.strip())
    if not match:
        return frame.strip()
    function, path = match.groups()
    path = path.split("site-packages/")[-1].split(str(ROOT) + "/")[-1]
    return f"{path}:{function}"


# --- Processes and /proc --------------------------------------------------------------------


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


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pgid(self) -> int:
        return self.popen.pid  # started with start_new_session: leader of its own group


@dataclass
class Stack:
    backend: str
    tmp: Path
    env: dict
    src: Path = ROOT  # the code the stack runs: a snapshot of the working tree by default
    db_name: str | None = None
    procs: dict[str, Proc] = field(default_factory=dict)

    def start(self, name: str, cmd: list[str]) -> Proc:
        log = self.tmp / f"{name}.log"
        with open(log, "wb") as out:
            popen = subprocess.Popen(cmd, cwd=self.src, env=self.env, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.procs[name] = Proc(name, popen, log)
        return self.procs[name]

    def stop_all(self, timeout: float = 15.0) -> None:
        """SIGTERM every process group we started, then SIGKILL what is left."""
        for proc in self.procs.values():
            _signal_group(proc.pgid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.procs.values():
            _signal_group(proc.pgid, signal.SIGKILL)  # stragglers (pool children)
            try:
                proc.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                print(f"bench: {proc.name} (pid {proc.popen.pid}) did not exit", file=sys.stderr)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _run(cmd: list[str], cwd: Path, env: dict, log: Path, timeout: float = 300) -> str:
    """Run a short command; its stdout is returned, stderr goes to the log."""
    with open(log, "ab") as err:
        done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=err,
                              timeout=timeout, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({done.returncode}); see {log}")
    return done.stdout.decode()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(predicate, timeout: float, what: str, procs: list[Proc]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}); see {proc.log}")
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def _http_up(url: str) -> bool:
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="OPTIONS"), timeout=1)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


# --- One run ----------------------------------------------------------------------------


def setup_backend(stack: Stack) -> None:
    if stack.backend != "postgres":
        return
    import psycopg
    import redis

    stack.db_name = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{stack.db_name}"')
    redis.Redis.from_url(REDIS_URL).flushdb()
    stack.env["DATABASE_URL"] = f"{PG_ADMIN_URL}/{stack.db_name}"
    stack.env["REDIS_URL"] = REDIS_URL


def teardown_backend(stack: Stack) -> None:
    if stack.backend != "postgres":
        return
    import psycopg
    import redis

    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # Django was never set up
        pass
    if stack.db_name:
        with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{stack.db_name}" WITH (FORCE)')
    redis.Redis.from_url(REDIS_URL).flushdb()


def server_versions(stack: Stack) -> dict:
    if stack.backend != "postgres":
        return {}
    import psycopg
    import redis

    with psycopg.connect(f"{PG_ADMIN_URL}/postgres") as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "postgres": pg,
        "redis": redis.Redis.from_url(REDIS_URL).info("server")["redis_version"],
    }


def start_stack(stack: Stack, args) -> str:
    """Migrate, create the project, start web/worker/beat; returns the DSN."""
    py = str(BIN / "python")
    setup_log = stack.tmp / "setup.log"
    _run([py, "manage.py", "migrate", "--noinput"], stack.src, stack.env, setup_log)
    dsn = _run(
        [py, "manage.py", "createproject", "bench", "bench"], stack.src, stack.env, setup_log
    )
    dsn = [line for line in dsn.splitlines() if line.strip()][-1].strip()
    port = int(stack.env["BASE_URL"].rsplit(":", 1)[1])
    worker = stack.start("worker", [str(BIN / "celery"), "-A", "aggregator", "worker",
                                    "--loglevel", "INFO", "--concurrency", str(args.worker_concurrency),
                                    "--pool", args.worker_pool,
                                    "-n", f"bench-{port}@%h"])  # fmt: skip
    procs = [worker]
    if not args.no_beat:
        procs.append(stack.start("beat", [str(BIN / "celery"), "-A", "aggregator", "beat",
                                          "--loglevel", "INFO"]))  # fmt: skip
    web = stack.start("web", [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
                              "--port", str(port), "--workers", str(args.web_workers),
                              "--blocking-threads", str(args.web_threads), "--no-ws",
                              "aggregator.wsgi:application"])  # fmt: skip
    procs.append(web)
    _wait_for(
        lambda: _http_up(f"http://127.0.0.1:{port}/api/0/store/"), 60, "the web server", procs
    )
    _wait_for(lambda: " ready." in worker.log.read_text(errors="replace"), 60, "the worker", procs)
    return dsn


class Sampler:
    """Samples the stack: stored events and backlog, and (unless light) memory and CPU per
    component from /proc."""

    def __init__(self, stack: Stack, project_id: int):
        from django.db import connection

        from events.models import Event
        from events.queue import get_queue

        self.stack, self.connection = stack, connection
        self.events = Event.objects.filter(project_id=project_id)
        self.queue = get_queue()
        self.samples: list[dict] = []
        self.peak_rss: Counter = Counter()
        self.peak_pss: Counter = Counter()
        self.seen: dict[int, tuple[str, int]] = {}  # pid -> (component, CPU ticks when last seen)
        # The servers of *our* stack: other people run their own postgres and redis here.
        self.postmaster = self.redis_pid = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.postmaster = read_proc()[cursor.fetchone()[0]][1]
        if stack.env.get("REDIS_URL"):
            import redis

            self.redis_pid = redis.Redis.from_url(stack.env["REDIS_URL"]).info("server")[
                "process_id"
            ]

    def _foreign_backends(self) -> set[int]:
        """PostgreSQL backends serving other databases (other people's tests)."""
        if self.connection.vendor != "postgresql":
            return set()
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname IS NOT NULL AND datname <> %s",
                [self.connection.settings_dict["NAME"]],
            )
            return {pid for (pid,) in cursor.fetchall()}

    def _component(self, pid: int, ppid: int, pgid: int, groups: dict, foreign: set) -> str | None:
        if pgid in groups:
            return groups[pgid]
        if self.postmaster in (pid, ppid) and pid not in foreign:
            return "postgres"  # the postmaster, its helpers, and our database's backends
        if pid == self.redis_pid:
            return "redis"
        if pid == os.getpid():
            return "orchestrator"
        return None

    def sample(self, light: bool = False, memory: bool = True, backlog: bool = True) -> dict:
        """light: no /proc. backlog=False skips the queue: the SQLite queue counts its rows
        with a full scan of the payloads (~30 ms at 15,000), too dear for every sample."""
        t = time.time()
        sample = {"t": t, "stored": self.events.count()}
        sample["backlog"] = self.queue.backlog() if backlog else None
        if not light:
            sample.update(self._cpu_and_memory(memory))
        self.samples.append(sample)
        return sample

    def _cpu_and_memory(self, memory: bool) -> dict:
        cpu: Counter = Counter()
        rss: Counter = Counter()
        groups = {p.pgid: name for name, p in self.stack.procs.items()}
        foreign = self._foreign_backends()
        members: dict[str, list[int]] = {}
        for pid, (_comm, ppid, pgid, ticks, rss_bytes) in read_proc().items():
            name = self._component(pid, ppid, pgid, groups, foreign)
            if name is None:
                continue
            # Processes come and go (PostgreSQL backends, pool children): one that exited
            # keeps counting with the CPU it had used when last seen.
            self.seen[pid] = (name, ticks)
            rss[name] += rss_bytes
            members.setdefault(name, []).append(pid)
        for name, ticks in self.seen.values():
            cpu[name] += ticks
        if memory:
            for name in ("web", "worker", "beat"):
                self.peak_rss[name] = max(self.peak_rss[name], rss[name])
                pss = sum(pss_bytes(pid) for pid in members.get(name, []))
                self.peak_pss[name] = max(self.peak_pss[name], pss)
        return {"cpu": dict(cpu), "busy": machine_busy_ticks()}


def cpu_between(a: dict, b: dict) -> dict:
    """CPU seconds per component between two samples, plus 'other' (the rest of the machine)."""
    names = set(a["cpu"]) | set(b["cpu"])
    out = {n: max(0, b["cpu"].get(n, 0) - a["cpu"].get(n, 0)) / CLK_TCK for n in sorted(names)}
    total = (b["busy"] - a["busy"]) / CLK_TCK
    out["other"] = max(0.0, total - sum(out.values()))
    out["total"] = total
    return {k: round(v, 2) for k, v in out.items()}


BENIGN_LOG_LINES = (
    "No hostname was supplied",  # kombu's filesystem:// transport, at every start
)


def scan_logs(stack: Stack) -> dict:
    """Lines that look like trouble in the server logs."""
    pattern = re.compile(r"\b(ERROR|CRITICAL|Traceback|WARNING)\b")
    found = {}
    for name, proc in stack.procs.items():
        if name not in ("web", "worker", "beat") or not proc.log.exists():
            continue
        lines = [
            ln
            for ln in proc.log.read_text(errors="replace").splitlines()
            if pattern.search(ln) and not any(b in ln for b in BENIGN_LOG_LINES)
        ]
        if lines:
            found[name] = {"count": len(lines), "first": list(dict.fromkeys(lines))[:5]}
    return found


def snapshot_source(root: Path, dest: Path) -> None:
    """Copy the working tree's files (tracked and untracked, not ignored) except tests and
    the bench itself: people edit the app while a run is going on, and a half-saved module
    must not end up in a web worker halfway through the load."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=root, capture_output=True, check=True).stdout.decode()  # fmt: skip
    for rel in filter(None, listed.split("\0")):
        if rel.startswith(("tests/", "bench/", ".ci/")) or not (root / rel).is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, dest / rel)


def code_version(root: Path) -> dict:
    """The commit the working tree is on, and which app files differ from it."""

    def git(*cmd):
        done = subprocess.run(["git", *cmd], cwd=root, capture_output=True, text=True)
        return done.stdout.rstrip("\n") if done.returncode == 0 else ""

    changed = [
        line[3:]
        for line in git("status", "--porcelain").splitlines()
        if not line[3:].startswith(("tests/", "bench/", ".ci/"))
    ]
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": changed}


def run_once(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="aggbench-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV}
    env.update(
        DATA_DIR=str(tmp / "data"), BASE_URL=f"http://127.0.0.1:{port}", PYTHONUNBUFFERED="1",
        WORKER_NICE=str(args.worker_nice),
    )  # fmt: skip
    stack = Stack(args.backend, tmp, env)
    print(f"bench: {args.backend} stack in {tmp}", file=sys.stderr)
    try:
        stack.src = args.src or ROOT
        env["PYTHONPATH"] = str(stack.src)  # ahead of the editable install's finder
        setup_backend(stack)
        dsn = start_stack(stack, args)
        return measure(stack, dsn, args)
    finally:
        stack.stop_all()
        teardown_backend(stack)
        if args.keep:
            print(f"bench: kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(stack: Stack, dsn: str, args) -> dict:
    os.environ.update(stack.env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "aggregator.settings"
    sys.path.insert(0, str(stack.src))
    import django

    django.setup()
    from events.models import FailedPayload, Issue

    project_id = int(dsn.rstrip("/").rsplit("/", 1)[1])
    sampler = Sampler(stack, project_id)
    background = wait_for_quiet_machine(sampler, args)

    out_json = stack.tmp / "loadgen.json"
    cmd = [str(BIN / "python"), str(LOADGEN), "--dsn", dsn, "--events", str(args.events),
           "--groups", str(args.groups), "--concurrency", str(args.concurrency),
           "--encoding", args.encoding, "--processes", str(args.processes),
           "--max-seconds", str(args.max_seconds), "--json-out", str(out_json)]  # fmt: skip
    if args.rate:
        cmd += ["--rate", str(args.rate)]
    loadgen = stack.start("loadgen", cmd)
    profilers = start_profilers(stack) if args.profile else []

    # Load phase: sample every 0.25 s (the backlog every second) until the generator is done.
    while loadgen.popen.poll() is None:
        n = len(sampler.samples)
        sampler.sample(memory=n % 2 == 0, backlog=n % 4 == 0)
        time.sleep(0.25)
    if loadgen.popen.returncode != 0 or not out_json.exists():
        raise RuntimeError(f"loadgen failed; see {loadgen.log}")
    load = json.loads(out_json.read_text())
    accepted = load["accepted"]

    # Drain phase: until everything accepted is stored, or no progress for --stall-timeout.
    # Polls fast near the end, where the time of the last stored event is decided.
    done_sample, last_progress, last_seen, fine = None, time.monotonic(), None, False
    while True:
        n = len(sampler.samples)
        s = sampler.sample(light=fine, memory=n % 4 == 0, backlog=n % 4 == 0 and not fine)
        if s["stored"] >= accepted:
            if s["backlog"] is None:
                s["backlog"] = sampler.queue.backlog()
            if s["backlog"] == 0:
                done_sample = {**sampler.sample(), "t": s["t"]}  # CPU a few ms after the fact
                break
        fine = accepted - s["stored"] <= FINE_POLL_BELOW
        if s["stored"] != last_seen:
            last_seen, last_progress = s["stored"], time.monotonic()
        elif time.monotonic() - last_progress > args.stall_timeout:
            break
        time.sleep(0.05 if fine else 0.25)
    profiles = stop_profilers(profilers)

    # Quiet period, then the final count: anything still missing is lost.
    quiet_until = time.monotonic() + args.quiet
    while time.monotonic() < quiet_until:
        time.sleep(0.5)
        sampler.sample()
    final = sampler.sample()
    issues = list(Issue.objects.filter(project_id=project_id).values_list("title", "times_seen"))
    failed = FailedPayload.objects.filter(project_id=project_id).count()
    return build_report(args, stack, sampler, load, done_sample, final, issues, failed,
                        background, profiles)  # fmt: skip


def wait_for_quiet_machine(sampler: Sampler, args) -> float:
    """CPU cores busy outside our stack (other people's jobs); waits up to --wait-idle
    seconds for it to fall under --max-background. Returns the last measurement."""
    deadline = time.monotonic() + args.wait_idle
    while True:
        a = sampler.sample(memory=False)
        time.sleep(2.0)
        b = sampler.sample(memory=False)
        busy = cpu_between(a, b)
        background = (busy["other"] + busy.get("postgres", 0)) / (b["t"] - a["t"])
        if background <= args.max_background or time.monotonic() > deadline:
            break
        print(f"bench: machine busy ({background:.2f} cores outside the stack); waiting",
              file=sys.stderr)  # fmt: skip
        time.sleep(3.0)
    del sampler.samples[:]
    return background


def start_profilers(stack: Stack) -> list[tuple[str, subprocess.Popen, Path]]:
    """py-spy on the web and worker process trees (raw collapsed stacks, 97 Hz)."""
    spy = BIN / "py-spy"
    if not spy.exists():
        raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
    out = []
    for name in ("web", "worker"):
        path = stack.tmp / f"profile-{name}.txt"
        cmd = [str(spy), "record", "--format", "raw", "--rate", "97", "--subprocesses",
               "--nonblocking", "--pid", str(stack.procs[name].popen.pid), "-o", str(path)]  # fmt: skip
        # Started like the stack, so that it is stopped with it and its CPU is its own.
        out.append((name, stack.start(f"py-spy-{name}", cmd).popen, path))
    return out


def stop_profilers(profilers) -> dict:
    summaries = {}
    for name, popen, path in profilers:
        popen.send_signal(signal.SIGINT)
        try:
            popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            popen.kill()
        if path.exists():
            summaries[name] = summarize_collapsed(path.read_text().splitlines())
            summaries[name]["file"] = str(path)
    return summaries


def build_report(
    args, stack, sampler, load, done_sample, final, issues, failed, background, profiles
):
    samples = sampler.samples
    first_send, last_done = load["first_send_unix"], load["last_done_unix"]
    accepted = load["accepted"]
    start = max(
        (s for s in samples if s["t"] <= first_send and "cpu" in s),
        key=lambda s: s["t"],
        default=samples[0],
    )
    end = done_sample or final
    e2e_seconds = end["t"] - first_send
    with_backlog = [s for s in samples if s["backlog"] is not None]
    during = [(s["t"] - first_send, s["backlog"]) for s in with_backlog if s["t"] <= last_done]
    during = [(t, b) for t, b in during if t >= 0]
    at_load_end = min(
        (s for s in with_backlog if s["t"] >= last_done), key=lambda s: s["t"], default=final
    )
    cpu = cpu_between(start, end)
    # The generator has exited by now, so its own account replaces /proc's.
    cpu["loadgen"] = load["cpu_seconds"]
    cpu["other"] = round(max(0.0, cpu["other"] - load["cpu_seconds"]), 2)
    stored = final["stored"]
    series = [
        (round(s["t"] - first_send, 1), s["backlog"], s["stored"])
        for s in with_backlog
        if s["t"] >= start["t"] and s["t"] <= end["t"] + 0.5
    ]
    figures = {
        "accepted_per_s": load["accepted_per_s"],
        "p50_ms": load["latency_ms"]["p50"],
        "p95_ms": load["latency_ms"]["p95"],
        "p99_ms": load["latency_ms"]["p99"],
        "e2e_per_s": round(stored / e2e_seconds, 1) if done_sample and e2e_seconds > 0 else None,
        "e2e_seconds": round(e2e_seconds, 2) if done_sample else None,
        "load_seconds": load["duration_s"],
        "drain_after_load_s": round(end["t"] - last_done, 2) if done_sample else None,
        "drain_per_s": _drain_rate(at_load_end, end) if done_sample else None,
        "stored_at_load_end": at_load_end["stored"],
        "backlog_at_load_end": at_load_end["backlog"],
        "backlog_peak": max((s["backlog"] for s in with_backlog), default=0),
        "backlog_slope_per_s": _round(slope(during), 1),
        "issues": len(issues),
        "events_lost": accepted - stored,
        "web_rss_peak_mb": round(sampler.peak_rss["web"] / 2**20, 1),
        "worker_rss_peak_mb": round(sampler.peak_rss["worker"] / 2**20, 1),
        "beat_rss_peak_mb": round(sampler.peak_rss["beat"] / 2**20, 1),
        "web_pss_peak_mb": round(sampler.peak_pss["web"] / 2**20, 1),
        "worker_pss_peak_mb": round(sampler.peak_pss["worker"] / 2**20, 1),
    }
    per_event_us = {k: round(v * 1e6 / accepted) for k, v in cpu.items()} if accepted else {}
    return {
        "backend": args.backend,
        "command": _command_line(args),
        "machine": {**machine_info(), **server_versions(stack)},
        "figures": figures,
        "accepted": accepted,
        "stored": stored,
        "failed_payloads": failed,
        "backlog_final": final["backlog"],
        "status": load["status"],
        "load_errors": load["errors"],
        "loadgen": load,
        "issue_problems": check_issues(issues, load["accepted_by_group"]),
        "background_cpu_cores": round(background, 2),
        "other_cpu_cores_during": round(cpu["other"] / e2e_seconds, 2) if e2e_seconds > 0 else None,
        "cpu_seconds": cpu,
        "cpu_us_per_event": per_event_us,
        "backlog_series": downsample(series, args.series_points),
        "log_problems": scan_logs(stack),
        "profiles": profiles,
    }


def _drain_rate(at_load_end: dict, end: dict) -> float | None:
    """Events stored per second after the load stopped: processing with ingest idle."""
    seconds = end["t"] - at_load_end["t"]
    if seconds < 1.0 or at_load_end["backlog"] < 1000:
        return None  # too little left to measure
    return round((end["stored"] - at_load_end["stored"]) / seconds, 1)


def _round(value, digits):
    return None if value is None else round(value, digits)


def _command_line(args) -> str:
    parts = [f"bench/run.py --backend {args.backend} --events {args.events} --groups {args.groups}",
             f"--concurrency {args.concurrency}"]  # fmt: skip
    if args.rate:
        parts.append(f"--rate {args.rate:g}")
    if args.encoding != "br":
        parts.append(f"--encoding {args.encoding}")
    return " ".join(parts)


# --- Several runs, medians, output ------------------------------------------------------


def combine(runs: list[dict]) -> dict:
    keys = runs[0]["figures"].keys()
    medians = {k: median_or_none([r["figures"][k] for r in runs]) for k in keys}
    cpu_keys = sorted({k for r in runs for k in r["cpu_us_per_event"]})
    cpu = {k: median_or_none([r["cpu_us_per_event"].get(k) for r in runs]) for k in cpu_keys}
    return {
        "backend": runs[0]["backend"],
        "command": runs[0]["command"],
        "repeat": len(runs),
        "machine": runs[0]["machine"],
        "medians": medians,
        "cpu_us_per_event_median": cpu,
        "runs": runs,
    }


def format_summary(result: dict) -> str:
    m, mach, code = result["medians"], result["machine"], result["code"]
    k = result["repeat"]
    label = f"median of {k} runs" if k > 1 else "1 run"
    servers = (
        f", PostgreSQL {mach['postgres']}, Redis {mach['redis']}" if "postgres" in mach else ""
    )
    lines = [
        f"== {result['command']}  ({label})",
        f"machine: {mach['nproc']} cores {mach['cpu_model']}, {mach['memory_gib']} GiB,"
        f" Python {mach['python']}, SQLite {mach['sqlite']}{servers}",
        f"speed:      reference workload {mach.get('reference_ms')} ms after run 1 (bench/run.py"
        " reference_ms; lower is faster)",
        "packages:   " + ", ".join(f"{k} {v}" for k, v in mach.get("packages", {}).items()),
        f"code:       commit {code['commit']}" + _uncommitted(code["uncommitted"]),
        f"ingest:     {m['accepted_per_s']} accepted events/s, latency p50 {m['p50_ms']} ms,"
        f" p95 {m['p95_ms']} ms, p99 {m['p99_ms']} ms",
        f"end to end: {m['e2e_per_s']} events/s ({m['e2e_seconds']} s from first send to last"
        f" stored; load {m['load_seconds']} s, then {m['drain_after_load_s']} s of draining"
        + (f" at {m['drain_per_s']} events/s)" if m["drain_per_s"] else ")"),
        f"backlog:    {m['backlog_at_load_end']} at load end (peak {m['backlog_peak']},"
        f" growing {m['backlog_slope_per_s']}/s during load); {m['stored_at_load_end']} stored by then",
        f"issues:     {m['issues']}; events lost {m['events_lost']}",
        f"memory:     web RSS {m['web_rss_peak_mb']} MB (PSS {m['web_pss_peak_mb']}),"
        f" worker RSS {m['worker_rss_peak_mb']} MB (PSS {m['worker_pss_peak_mb']}),"
        f" beat RSS {m['beat_rss_peak_mb']} MB",
        "cpu µs/event: "
        + ", ".join(f"{k} {v:g}" for k, v in result["cpu_us_per_event_median"].items() if v),
    ]
    for i, run in enumerate(result["runs"], 1):
        f = run["figures"]
        lines.append(
            f"  run {i}: {f['accepted_per_s']}/s accepted, p99 {f['p99_ms']} ms, e2e {f['e2e_per_s']}/s,"
            f" lost {f['events_lost']}, issues {f['issues']}, status {run['status']},"
            f" outside load {run['background_cpu_cores']} cores before,"
            f" {run['other_cpu_cores_during']} during,"
            f" reference {run['machine'].get('reference_ms')} ms"
        )
        if run["load_errors"]:
            lines.append(f"    load errors: {run['load_errors']}")
        for problem in run["issue_problems"][:5]:
            lines.append(f"    issue problem: {problem}")
        if run["failed_payloads"]:
            lines.append(f"    failed payloads: {run['failed_payloads']}")
        for name, found in run["log_problems"].items():
            lines.append(
                f"    {name} log: {found['count']} suspicious line(s), e.g. {found['first'][0]}"
            )
        series = " ".join(f"{t}s:{b}" for t, b, _ in run["backlog_series"])
        lines.append(f"    backlog (s since first send:backlog): {series}")
        for name, prof in run.get("profiles", {}).items():
            lines.append(f"    profile {name} ({prof['samples']} samples, {prof['file']}):")
            lines.append("      own:   " + "; ".join(f"{f} {p}%" for f, p in prof["own"][:12]))
            below_roots = [(f, p) for f, p in prof["total"] if p < 90][:16]
            lines.append("      total: " + "; ".join(f"{f} {p}%" for f, p in below_roots))
    return "\n".join(lines)


def _uncommitted(paths: list[str]) -> str:
    if not paths:
        return ""
    more = f" and {len(paths) - 4} more" if len(paths) > 4 else ""
    return f" + uncommitted changes to {', '.join(paths[:4])}{more}"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["postgres", "embedded"], required=True)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=None, help="events/s; default: burst")
    parser.add_argument("--encoding", choices=["br", "gzip", "none"], default="br")
    parser.add_argument(
        "--processes", type=int, choices=[1, 2], default=1, help="loadgen processes"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh stack")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4, help="granian blocking threads")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--worker-pool", choices=["prefork", "threads", "solo"], default="prefork")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        help="WORKER_NICE for the worker: ingest first, processing after",
    )
    parser.add_argument("--no-beat", action="store_true", help="do not start celery beat")
    parser.add_argument("--max-seconds", type=float, default=600, help="cap on the load phase")
    parser.add_argument("--stall-timeout", type=float, default=30,
                        help="give up draining after this long without progress")  # fmt: skip
    parser.add_argument("--quiet", type=float, default=5, help="seconds to wait before recounting")
    parser.add_argument("--series-points", type=int, default=24)
    parser.add_argument("--profile", action="store_true", help="py-spy the web and worker trees")
    parser.add_argument(
        "--max-background",
        type=float,
        default=0.3,
        help="CPU cores busy outside the stack that count as a quiet machine",
    )
    parser.add_argument("--wait-idle", type=float, default=0,
                        help="seconds to wait for a quiet machine before the load")  # fmt: skip
    parser.add_argument(
        "--retry-noisy",
        type=int,
        default=0,
        help="run again (up to N times) when the machine was busy during a run",
    )
    parser.add_argument(
        "--no-snapshot",
        action="store_true",
        help="run the working tree itself rather than a copy taken at the start",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the summary")
    parser.add_argument("--one-run", type=Path, help=argparse.SUPPRESS)  # internal: child mode
    parser.add_argument("--src", type=Path, help=argparse.SUPPRESS)  # internal: code to run
    return parser.parse_args(argv)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unlike Ctrl-C, the child run may not have got it."""


_interrupted = False


def _interrupt(signum, frame):
    """The first of SIGINT/SIGTERM/SIGHUP stops the run; later ones (a second Ctrl-C, the
    parent passing a SIGTERM on) must not cut the cleanup short, so they are ignored."""
    global _interrupted
    if _interrupted:
        return
    _interrupted = True
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(f"signal {signum}")


def main(argv=None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    if args.one_run:  # child: one run in this process (Django is set up once per process)
        try:
            args.one_run.write_text(json.dumps(run_once(args)))
        except KeyboardInterrupt:
            print("bench: interrupted; everything it started is stopped", file=sys.stderr)
            return 130
        return 0
    code = code_version(ROOT)
    src = ROOT
    if not args.no_snapshot:  # one copy of the code for all the runs
        src = Path(tempfile.mkdtemp(prefix="aggbench-src-"))
        snapshot_source(ROOT, src)
    child_argv = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--json"]
    child_argv += ["--src", str(src)]
    try:
        runs = _run_children(args, child_argv, args.retry_noisy)
    finally:
        if src != ROOT:
            shutil.rmtree(src, ignore_errors=True)
    if runs is None:
        return 1
    if not runs:
        return 130
    result = {**combine(runs), "code": code}
    print(json.dumps(result, indent=1) if args.json else format_summary(result))
    return 0


def _run_children(args, child_argv: list[str], retries: int) -> list[dict] | None:
    """Runs one child per repeat; None when a run failed, [] when interrupted."""
    runs = []
    while len(runs) < args.repeat:
        i = len(runs)
        out = Path(tempfile.mkstemp(prefix="aggbench-run-", suffix=".json")[1])
        child = subprocess.Popen([sys.executable, __file__, *child_argv, "--one-run", str(out)])
        try:
            status = child.wait()
        except KeyboardInterrupt as exc:  # Ctrl-C reached the child too; it cleans up its stack
            if isinstance(exc, Terminated):
                child.send_signal(signal.SIGTERM)  # ignored if it got one already
            child.wait()
            out.unlink(missing_ok=True)
            return []
        text = out.read_text()
        out.unlink(missing_ok=True)
        if status != 0 or not text:
            print(f"bench: run {i + 1} failed (exit {status})", file=sys.stderr)
            return None
        run = json.loads(text)
        f, noise = run["figures"], run["other_cpu_cores_during"] or 0.0
        print(f"bench: run {i + 1}/{args.repeat}: {f['accepted_per_s']} accepted/s,"
              f" e2e {f['e2e_per_s']}/s, {noise} cores busy outside the stack",
              file=sys.stderr)  # fmt: skip
        if noise > args.max_background and retries > 0:
            retries -= 1
            print("bench: the machine was busy during that run; running it again", file=sys.stderr)
            continue
        runs.append(run)
    return runs


if __name__ == "__main__":
    sys.exit(main())
