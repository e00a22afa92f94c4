"""The stack a run measures: its processes, its database and queue, and the sampler that
watches them."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.procfs import machine_busy_ticks, pss_bytes, read_proc

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432"
# Flushed before and after each run: BENCH_REDIS_URL gives a run a database of its own when
# several people benchmark on one machine.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


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


def free_port() -> int:
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
    # createproject's organization gets an owner: the first superuser.
    _run([py, "manage.py", "createsuperuser", "--noinput", "--username", "bench",
          "--email", "bench@example.com"], stack.src, stack.env, setup_log)  # fmt: skip
    dsn = _run(
        [py, "manage.py", "createproject", "bench", "bench"], stack.src, stack.env, setup_log
    )
    dsn = [line for line in dsn.splitlines() if line.strip()][-1].strip()
    port = int(stack.env["BASE_URL"].rsplit(":", 1)[1])
    worker = stack.start("worker", [str(BIN / "celery"), "-A", "aggregator", "worker",
                                    "--loglevel", "INFO", "--concurrency", str(args.worker_concurrency),
                                    "--pool", args.worker_pool,
                                    *(["--autoscale", args.worker_autoscale]
                                      if args.worker_autoscale else []),
                                    "-n", f"bench-{port}@%h"])  # fmt: skip
    procs = [worker]
    if not (args.no_beat or args.worker_beat):
        procs.append(stack.start("beat", [str(BIN / "celery"), "-A", "aggregator", "beat",
                                          "--loglevel", "INFO"]))  # fmt: skip
    # As the Procfile: granian with the app loaded before it forks (aggregator/web.py).
    granian = (
        [str(BIN / "python"), "-m", "aggregator.web"]
        if args.web_preload
        else [str(BIN / "granian")]
    )
    web = stack.start("web", [*granian, "--interface", "wsgi", "--host", "127.0.0.1",
                              "--port", str(port), "--workers", str(args.web_workers),
                              "--blocking-threads", str(args.web_threads), "--no-ws",
                              "aggregator.wsgi:application"])  # fmt: skip
    procs.append(web)
    _wait_for(
        lambda: _http_up(f"http://127.0.0.1:{port}/api/0/store/"), 60, "the web server", procs
    )
    _wait_for(lambda: " ready." in worker.log.read_text(errors="replace"), 60, "the worker", procs)
    return dsn


APP_COMPONENTS = ("web", "worker", "beat", "udp")  # what ./run.sh may start


class Sampler:
    """Samples the stack: stored events and backlog, and (unless light) memory and CPU per
    component from /proc."""

    def __init__(self, stack: Stack, project_id: int):
        from django.db import connection

        from events.models import Event, Issue
        from events.queue import get_queue

        self.stack, self.connection = stack, connection
        self.events = Event.objects.filter(project_id=project_id)
        self.issues = Issue.objects.filter(project_id=project_id)
        self.queue = get_queue()
        self.samples: list[dict] = []
        self.peak_rss: Counter = Counter()
        self.peak_pss: Counter = Counter()
        self.peak_pss_total = 0  # the app's processes together (APP_COMPONENTS)
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

    def stored(self, exact: bool = False) -> int:
        """Events stored in the bench project: the issues' counters (store.py keeps them in
        the batch's transaction), or with `exact` the rows. Counting the rows reads every
        stored event (~20 ms at 45,000 on PostgreSQL), which four polls a second made ~4 %
        of a core of the CPU measured during a run; the counters are 50 rows."""
        if exact:
            return self.events.count()
        from django.db.models import Sum

        return self.issues.aggregate(n=Sum("stored_count"))["n"] or 0

    def sample(
        self, light: bool = False, memory: bool = True, backlog: bool = True, exact: bool = False
    ) -> dict:
        """light: no /proc. backlog=False skips the queue: the SQLite queue counts its rows
        with a full scan of the payloads (~30 ms at 15,000), too dear for every sample.
        exact: the stored events counted row by row (see stored)."""
        t = time.time()
        sample = {"t": t, "stored": self.stored(exact)}
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
            total = 0
            for name in APP_COMPONENTS:
                self.peak_rss[name] = max(self.peak_rss[name], rss[name])
                pss = sum(pss_bytes(pid) for pid in members.get(name, []))
                self.peak_pss[name] = max(self.peak_pss[name], pss)
                total += pss
            self.peak_pss_total = max(self.peak_pss_total, total)
        return {"cpu": dict(cpu), "busy": machine_busy_ticks()}

    def pss_by_process(self) -> list[dict]:
        """Every process of the app (not the servers, not the load generator) with its PSS."""
        groups = {p.pgid: name for name, p in self.stack.procs.items()}
        out = []
        for pid, (comm, _ppid, pgid, _ticks, rss_bytes) in sorted(read_proc().items()):
            name = groups.get(pgid)
            if name in APP_COMPONENTS:
                out.append({"component": name, "pid": pid, "comm": comm,
                            "pss_mb": round(pss_bytes(pid) / 2**20, 1),
                            "rss_mb": round(rss_bytes / 2**20, 1)})  # fmt: skip
        return out


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
