"""Real processes for fault injection: throwaway PostgreSQL and Redis servers, the app's
web server, Celery worker and beat, a raw-HTTP event sender, and the checks that every
accepted event was stored exactly once.

Nothing here talks to the machine's own PostgreSQL (5432) or Redis (6379): the servers are
started on free loopback ports in temporary directories and removed afterwards.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

from tests.support.payloads import envelope, message_event, python_error
from tests.support.stack import APP_ENV, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STREAM = "aggregator:ingest"  # events.queue.RedisStreamQueue.stream
GROUP = "processors"
# How celery 5.7.0 + kombu 5.7.0 workers die when the Redis broker connection drops while
# they hold an unacknowledged task and poll for more.
KNOWN_BROKER_CRASH = (
    "Unrecoverable error: AttributeError(\"'NoneType' object has no attribute 'hostname'\")"
)


def tail(path: Path, size: int = 3000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - size))
            return f.read().decode(errors="replace")
    except OSError as exc:
        return f"<{exc}>"


def wait_until(predicate, timeout: float, what: str, diagnostics=None, interval: float = 0.2):
    """Poll `predicate` until it returns a truthy value (returned); fail with diagnostics."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except AssertionError:
            raise
        except Exception as exc:  # a server that is still starting, a locked file...
            last_error = exc
        if time.monotonic() > deadline:
            break
        time.sleep(interval)
    message = f"timed out after {timeout:.0f}s waiting for {what}"
    if last_error is not None:
        message += f" (last error: {last_error!r})"
    if diagnostics is not None:
        # Logs first, the verdict last: CI keeps the head and the tail of long output.
        message = diagnostics() + "\n" + message
    raise AssertionError(message)


def _kill_group(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _stop_group(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left."""
    if proc is None:
        return
    if proc.poll() is None:
        _kill_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    _kill_group(proc, signal.SIGKILL)  # children (prefork, granian workers) too
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


# --- PostgreSQL ---------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


class ThrowawayPostgres:
    """A private cluster: initdb into a temp dir, listening on 127.0.0.1:<free port>."""

    database = "aggregator"

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"
        self.logfile = self.base / "postgres.log"
        self.as_root = os.geteuid() == 0
        self.started = False

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        run = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=timeout, cwd=self.base
        )
        if run.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}\n"
                f"--- postgres.log\n{tail(self.logfile)}"
            )
        return run

    def create(self) -> None:
        self.sockets.mkdir()
        if self.as_root:
            shutil.chown(self.base, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        self.start()
        with psycopg.connect(self.admin_url(), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE DATABASE {self.database}")

    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.logfile), "-t", "60", "start", "-w",
        )  # fmt: skip
        self.started = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `fast` terminates every client session (they see errors)."""
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-t", "60", "stop", "-w"
        )  # fmt: skip
        self.started = False

    def is_up(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def destroy(self) -> None:
        if self.data.exists():
            subprocess.run(
                [*(["runuser", "-u", "postgres", "--"] if self.as_root else []),
                 str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True, timeout=60, cwd=self.base,
            )  # fmt: skip
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self) -> str:
        return f"--- postgres.log\n{tail(self.logfile)}"


# --- Redis --------------------------------------------------------------------------------


class ThrowawayRedis:
    """A private redis-server with an append-only file fsynced on every write."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.logfile = self.dir / "redis.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5, socket_connect_timeout=2)

    def start(self) -> None:
        log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.dir),
             "--protected-mode", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.dir,
        )  # fmt: skip
        log.close()
        wait_until(self.is_up, 30, "redis-server to answer PING", self.log_tail, interval=0.05)

    def is_up(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            return False
        run = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, timeout=5
        )
        return run.stdout.strip() == "PONG"  # not while still loading the append-only file

    def stop(self) -> None:
        """Graceful: SHUTDOWN persists the data set before the server exits."""
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown"], capture_output=True, timeout=30
        )
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError("redis-server did not shut down\n" + self.log_tail()) from None

    def kill(self) -> None:
        if self.proc is not None:
            _kill_group(self.proc)
            self.proc.wait(timeout=10)

    def log_tail(self) -> str:
        return f"--- redis.log\n{tail(self.logfile)}"


# --- The application ----------------------------------------------------------------------


@dataclass
class Dsn:
    public_key: str
    host: str
    port: int
    project_id: int


class Stack:
    """migrate + createproject, then granian, a Celery worker and Celery beat as process
    groups of their own, all on the given environment."""

    def __init__(self, tmp: Path, env: dict[str, str], extra_logs=()):
        self.tmp = tmp
        self.data_dir = tmp / "data"
        self.data_dir.mkdir(parents=True)
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in APP_ENV}
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.settings",  # its fixed SECRET_KEY
                "DATA_DIR": str(self.data_dir),
                "BASE_URL": self.base_url,
                "INGEST_VISIBILITY_TIMEOUT": "5",
                "INGEST_AUTO_DRAIN": "true",
                "PYTHONUNBUFFERED": "1",
                "LOG_LEVEL": "INFO",
            }
        )
        self.env.update(env)
        self.extra_logs = list(extra_logs)  # callables returning text (server logs)
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.worker_generation = 0
        self.dsn: Dsn | None = None

    # -- lifecycle

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        log.write(f"=== {time.strftime('%H:%M:%S')} {' '.join(cmd)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        return proc

    def manage(self, *args: str, timeout: float = 120.0) -> str:
        run = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if run.returncode != 0:
            raise AssertionError(
                f"manage.py {' '.join(args)} failed ({run.returncode}):\n{run.stdout}\n"
                f"{run.stderr[-4000:]}\n{self.diagnostics()}"
            )
        return run.stdout

    def celery(self, *args: str, timeout: float = 60.0) -> str:
        run = subprocess.run(
            [str(BIN / "celery"), "-A", "aggregator", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if run.returncode != 0:
            raise AssertionError(
                f"celery {' '.join(args)} failed ({run.returncode}):\n{run.stdout}\n"
                f"{run.stderr[-4000:]}"
            )
        return run.stdout

    def setup(self) -> None:
        self.manage("migrate", "--no-input", "-v", "0")
        # createproject gives the organization an owner: the first superuser by default.
        self.manage("createsuperuser", "--noinput", "--username", "owner",
                    "--email", "owner@example.com")  # fmt: skip
        dsn = self.manage("createproject", "faults", "faults").strip().splitlines()[-1]
        parts = urlsplit(dsn)
        self.dsn = Dsn(
            parts.username, parts.hostname, parts.port, int(parts.path.rstrip("/").split("/")[-1])
        )
        assert (parts.hostname, parts.port) == ("127.0.0.1", self.port), dsn

    def start_web(self) -> None:
        self.web = self._spawn(
            "web",
            [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", "1", "aggregator.wsgi:application"],
        )  # fmt: skip
        wait_until(self._web_up, 60, "the web server to answer", self.diagnostics)

    def _web_up(self) -> bool:
        if self.web.poll() is not None:
            raise AssertionError(f"web server exited ({self.web.returncode})")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request("GET", "/api/0/store/")
            return conn.getresponse().status > 0
        except OSError:
            return False
        finally:
            conn.close()

    def restart_web(self) -> None:
        _stop_group(self.web)
        self.start_web()

    def start_worker(self, wait: bool = True, concurrency: int = 2) -> None:
        self.worker_generation += 1
        name = f"worker{self.worker_generation}"
        self.worker = self._spawn(
            name,
            [str(BIN / "celery"), "-A", "aggregator", "worker", "--concurrency", str(concurrency),
             "--loglevel", "INFO", "--without-heartbeat", "--without-mingle",
             "--without-gossip", "-n", f"faults-{self.port}-{self.worker_generation}@%h"],
        )  # fmt: skip
        if wait:
            log = self.logs / f"{name}.log"

            def ready():
                if self.worker.poll() is not None:
                    raise AssertionError(f"worker exited ({self.worker.returncode})")
                return " ready." in log.read_text(errors="replace")

            wait_until(ready, 90, "the Celery worker to be ready", self.diagnostics)

    def revive_worker_after_broker_crash(self) -> bool:
        """Start a new worker, as a supervisor would, if the current one exited with the
        Celery/kombu crash on broker connection loss (see
        test_outages.py::test_worker_survives_redis_restart_mid_drain); True if it did.
        Any other exit is a failure."""
        log = self.logs / f"worker{self.worker_generation}.log"
        crashed = False
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            crashed = KNOWN_BROKER_CRASH in log.read_text(errors="replace")
            if crashed and self.worker.poll() is not None:
                break
            if not crashed and self.worker.poll() is None:
                return False
            time.sleep(0.1)
        if not crashed or self.worker.poll() is None:
            raise AssertionError(
                f"worker state after the broker restart: exited={self.worker.poll()}, "
                f"known crash in log={crashed}\n{self.diagnostics()}"
            )
        _stop_group(self.worker)  # pool children left behind
        self.start_worker()
        return True

    def kill_worker(self) -> None:
        """SIGKILL the worker's whole process group: main process and pool children."""
        _kill_group(self.worker, signal.SIGKILL)
        self.worker.wait(timeout=10)

    def stop_worker(self) -> None:
        _stop_group(self.worker)

    def start_beat(self) -> None:
        self.beat = self._spawn(
            "beat",
            [str(BIN / "celery"), "-A", "aggregator", "beat", "--loglevel", "INFO",
             "-s", str(self.tmp / "beat-schedule")],
        )  # fmt: skip

    def stop_beat(self) -> None:
        _stop_group(self.beat)

    def stop(self) -> None:
        for proc in (self.web, self.worker, self.beat):
            if proc is not None and proc.poll() is None:
                _kill_group(proc, signal.SIGTERM)
        with open(self.logs / "stop.txt", "a") as f:
            for name, proc in (("web", self.web), ("worker", self.worker), ("beat", self.beat)):
                t = time.monotonic()
                _stop_group(proc, timeout=5)
                f.write(f"{name} {time.monotonic() - t:.2f}\n")

    # -- looking inside

    def diagnostics(self) -> str:
        parts = [f() for f in self.extra_logs]  # servers first, the app's own logs last
        parts += [f"--- {p.name}\n{tail(p)}" for p in sorted(self.logs.glob("*.log"))]
        return "\n".join(parts)

    @property
    def database_url(self) -> str | None:
        return self.env.get("DATABASE_URL")

    def query(self, sql: str) -> list[tuple]:
        """Read-only queries on the stack's database (PostgreSQL or the SQLite file)."""
        if self.database_url:
            with psycopg.connect(self.database_url, connect_timeout=5) as conn:
                return conn.execute(sql).fetchall()
        conn = sqlite3.connect(self.data_dir / "db.sqlite3", timeout=30)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def stored_count(self) -> int:
        return self.query("SELECT count(*) FROM events_event")[0][0]

    def stored_ids(self) -> list[str]:
        return [row[0] for row in self.query("SELECT event_id FROM events_event")]

    def spool_files(self) -> list[Path]:
        spool = self.data_dir / "spool"
        return sorted(spool.glob("*.payload")) if spool.is_dir() else []

    def queue_state(self) -> tuple[int, int]:
        """(messages in the ingest queue, of which claimed and not yet acknowledged)."""
        url = self.env.get("INGEST_QUEUE_URL") or self.env.get("REDIS_URL")
        if url:
            client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
            try:
                length = client.xlen(STREAM)
                try:
                    pending = client.xpending(STREAM, GROUP)["pending"]
                except redis.ResponseError:  # no group yet
                    pending = 0
                return length, pending
            finally:
                client.close()
        path = self.data_dir / "ingest.sqlite3"
        if not path.exists():
            return 0, 0
        conn = sqlite3.connect(path, timeout=30)
        try:
            return conn.execute(
                "SELECT count(*), count(claimed_at) FROM queue"
            ).fetchone()  # fmt: skip
        except sqlite3.OperationalError:  # table not created yet
            return 0, 0
        finally:
            conn.close()


# --- Sending ------------------------------------------------------------------------------


@dataclass
class Result:
    index: int
    event_id: str
    kind: str
    status: int | None  # None: no answer (connection error, timeout)
    retry_after: str | None
    sent_at: float
    answered_at: float
    detail: str = ""


def build_request(index: int, dsn: Dsn) -> tuple[str, str, dict, bytes]:
    """(event id, path, headers, body): envelopes and store bodies, plain and gzip, a few
    groups, every event id unique."""
    group = index % 7
    if group == 6:
        event = message_event(f"fault message {group} for %s", (f"user{index}",))
    else:
        event = python_error(type_=f"FaultError{group}", value=f"value {index}")
    event_id = event["event_id"]
    headers = {
        "X-Sentry-Auth": f"Sentry sentry_key={dsn.public_key}, sentry_version=7, "
        "sentry_client=faults/1.0",
        "User-Agent": "faults/1.0",
    }
    if index % 2 == 0:
        kind, body = "envelope", envelope(event)
        headers["Content-Type"] = "application/x-sentry-envelope"
    else:
        kind, body = "store", json.dumps(event).encode()
        headers["Content-Type"] = "application/json"
    if index % 4 in (2, 3):
        body = gzip.compress(body, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    return event_id, f"/api/{dsn.project_id}/{kind}/", headers, body


class Sender:
    """Posts `total` events over about `duration` seconds (0: as fast as possible) on
    `threads` keep-alive connections, remembering each answer."""

    def __init__(self, stack: Stack, total: int, duration: float = 0.0, threads: int = 1):
        self.stack, self.total, self.duration, self.threads = stack, total, duration, threads
        self.requests = [build_request(i, stack.dsn) for i in range(total)]
        self.results: list[Result] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.started = 0.0

    def start(self) -> Sender:
        self.started = time.monotonic()
        for n in range(self.threads):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        if any(t.is_alive() for t in self._threads):
            raise AssertionError(
                f"sender still running after {timeout:.0f}s ({len(self.results)}/{self.total} "
                f"answered)\n{self.stack.diagnostics()}"
            )

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=30)

    def _run(self, n: int) -> None:
        conn = self._connect()
        try:
            for index in range(n, self.total, self.threads):
                if self.duration:
                    due = self.started + index * self.duration / self.total
                    if (delay := due - time.monotonic()) > 0:
                        time.sleep(delay)
                event_id, path, headers, body = self.requests[index]
                sent = time.monotonic()
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    response = conn.getresponse()
                    text = response.read()
                    status, retry_after = response.status, response.getheader("Retry-After")
                    detail = "" if status == 200 else text.decode(errors="replace")[:200]
                    if status == 200 and json.loads(text).get("id") != event_id:
                        detail = f"200 with a different id: {text[:200]!r}"
                        status = -200
                except (OSError, http.client.HTTPException) as exc:
                    status, retry_after, detail = None, None, repr(exc)
                    conn.close()
                    conn = self._connect()
                result = Result(
                    index, event_id, self.requests[index][1].split("/")[-2], status,
                    retry_after, sent, time.monotonic(), detail,
                )  # fmt: skip
                with self._lock:
                    self.results.append(result)
        finally:
            conn.close()

    # -- outcome

    @property
    def answered(self) -> int:
        return len(self.results)

    def accepted(self) -> set[str]:
        return {r.event_id for r in self.results if r.status == 200}

    def sent_ids(self) -> set[str]:
        return {r.event_id for r in self.results}

    def not_accepted(self) -> list[Result]:
        return [r for r in self.results if r.status != 200]

    def between(self, start: float, end: float) -> list[Result]:
        return [r for r in self.results if start <= r.sent_at and r.answered_at <= end]


def summarize(results: list[Result], limit: int = 10) -> str:
    lines = [
        f"#{r.index} {r.kind} {r.status} retry-after={r.retry_after} "
        f"t={r.sent_at:.1f}..{r.answered_at:.1f} {r.detail}"
        for r in results[:limit]
    ]
    if len(results) > limit:
        lines.append(f"... and {len(results) - limit} more")
    return "\n".join(lines)


# --- The invariant ------------------------------------------------------------------------


def assert_stored_exactly_once(
    stack: Stack, accepted: set[str], sent: set[str], timeout: float = 90.0, give_up=None
) -> None:
    """Wait until every accepted event is stored and the queue and spool are empty, then
    check: each stored once, nothing stored that was never sent, counters exact, nothing
    kept as failed. `give_up()` may return a reason to stop waiting early."""
    assert accepted, "no event was accepted at all"

    def state() -> str:
        try:
            stored = stack.stored_count()
        except Exception as exc:
            stored = repr(exc)
        try:
            queue = stack.queue_state()
        except Exception as exc:
            queue = repr(exc)
        return (
            f"accepted={len(accepted)} stored={stored} queue(length, claimed)={queue} "
            f"spool={len(stack.spool_files())}"
        )

    def done() -> bool:
        if give_up is not None and (reason := give_up()):
            raise AssertionError(f"{reason}\n{state()}\n{stack.diagnostics()}")
        if not accepted <= set(stack.stored_ids()):
            return False
        return stack.queue_state() == (0, 0) and not stack.spool_files()

    wait_until(
        done, timeout, "every accepted event to be stored and the queue and spool to drain",
        lambda: stack.diagnostics() + "\n" + state(), interval=0.5,
    )  # fmt: skip

    ids = stack.stored_ids()
    duplicates = len(ids) - len(set(ids))
    assert duplicates == 0, f"{duplicates} event ids stored more than once"
    stored = set(ids)
    missing = accepted - stored
    assert not missing, f"{len(missing)} accepted events not stored, e.g. {sorted(missing)[:5]}"
    unknown = stored - sent
    assert not unknown, f"{len(unknown)} stored events were never sent: {sorted(unknown)[:5]}"

    failed = stack.query("SELECT id, reason FROM events_failedpayload")
    assert not failed, f"{len(failed)} FailedPayload rows, e.g. {failed[:3]}"

    n = len(ids)
    times_seen = stack.query("SELECT coalesce(sum(times_seen), 0) FROM events_issue")[0][0]
    assert times_seen == n, f"sum(times_seen)={times_seen} but {n} events stored"
    per_issue = stack.query(
        "SELECT i.id, i.times_seen, count(e.id) FROM events_issue i"
        " LEFT JOIN events_event e ON e.issue_id = i.id GROUP BY i.id, i.times_seen"
        " HAVING i.times_seen <> count(e.id)"
    )
    assert not per_issue, f"issues whose times_seen differs from their events: {per_issue[:5]}"
    hourly = stack.query("SELECT coalesce(sum(count), 0) FROM events_issuehourlycount")[0][0]
    assert hourly == n, f"hourly counts add up to {hourly}, {n} events stored"
    level_tags = stack.query(
        "SELECT coalesce(sum(count), 0) FROM events_issuetag WHERE key = 'level'"
    )
    assert level_tags[0][0] == n, f"`level` tag counts add up to {level_tags[0][0]}, {n} stored"
