"""Real processes: the granian web server and a Celery worker, on the test database."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from events.queue import get_queue

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Our variables that would leak a developer's configuration into a stack.
APP_ENV = (
    "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "INGEST_QUEUE_URL", "DATA_DIR", "BASE_URL",
    "ALLOWED_HOSTS", "SECRET_KEY", "INGEST_BATCH_SIZE", "INGEST_VISIBILITY_TIMEOUT",
    "INGEST_AUTO_DRAIN", "CELERY_TASK_ALWAYS_EAGER", "DEBUG", "INGEST_MAX_BACKLOG",
    "INGEST_MAX_SPOOL", "LOG_LEVEL", "OUTCOMES_FLUSH_SECONDS",
)  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db.get("USER") or "postgres"
        return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def wait_until(predicate, timeout=90.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")


class Stack:
    def __init__(self, base_url: str, env: dict, procs: dict, logs: Path):
        self.base_url, self.env, self.procs, self.logs = base_url, env, procs, logs

    def log_text(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-4000:]}" for p in sorted(self.logs.glob("*.log"))
        )


@pytest.fixture
def live_stack(transactional_db, tmp_path, request):
    """Web server and worker as subprocesses sharing the test database and ingest queue.
    A `live_stack_env` fixture, where a test module defines one, adds to their environment."""
    try:
        live_stack_env = request.getfixturevalue("live_stack_env")
    except pytest.FixtureLookupError:
        live_stack_env = {}
    # A clean broker and ingest queue: tasks and payloads that earlier tests left behind
    # (alert deliveries with retry countdowns, say) would otherwise keep this test's worker
    # busy or hold its prefetch slots while the events under test wait.
    from aggregator.celery import app

    app.control.purge()
    get_queue().clear()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "INGEST_QUEUE_URL": settings.INGEST_QUEUE_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DATA_DIR": str(settings.DATA_DIR),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "INGEST_AUTO_DRAIN": "true",
        "PYTHONUNBUFFERED": "1",
        "OUTCOMES_FLUSH_SECONDS": "0.5",
        **live_stack_env,
    }
    commands = {
        # As the Procfile: granian with the app loaded before it forks (aggregator/web.py).
        "web": [str(BIN / "python"), "-m", "aggregator.web", "--interface", "wsgi", "--host", "127.0.0.1",
                "--port", str(port), "--workers", "1", "aggregator.wsgi:application"],
        "worker": [str(BIN / "celery"), "-A", "aggregator", "worker", "--concurrency", "2",
                   "--loglevel", "INFO", "--without-heartbeat", "--without-mingle", "--without-gossip",
                   "-n", f"e2e-{port}@%h"],
    }  # fmt: skip
    procs = {}
    for name, cmd in commands.items():
        log = open(tmp_path / f"{name}.log", "wb")
        procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    stack = Stack(f"http://127.0.0.1:{port}", env, procs, tmp_path)

    def web_up():
        try:
            urllib.request.urlopen(stack.base_url + "/api/0/store/", timeout=1)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    try:
        wait_until(web_up, what="web server")
        yield stack
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
