"""A real Celery worker process on the embedded default, started as honcho starts it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.processes import children
from tests.support.stack import APP_ENV

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
PROBE = "tests.aggregator.worker_probe"  # a task to look inside the worker with


@pytest.fixture
def start_worker(tmp_path):
    started = []

    def start(pool: str = "prefork", concurrency: int = 2, **env_extra) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if k not in APP_ENV}
        env.update(DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT), **env_extra)
        log_path = tmp_path / f"worker{len(started)}.log"
        log = open(log_path, "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [str(CELERY), "-A", "aggregator", "worker", "--pool", pool,
             "--concurrency", str(concurrency), "--loglevel", "INFO", "--without-heartbeat",
             "--without-mingle", "--without-gossip", "-n", f"aggtest{len(started)}@%h",
             "--include", PROBE],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # as honcho starts it: a process group of its own
        )  # fmt: skip
        started.append((proc, log))
        deadline = time.monotonic() + 60
        while " ready." not in log_path.read_text(errors="replace"):
            assert proc.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)
        while pool == "prefork" and len(children(proc.pid)) < concurrency:
            assert time.monotonic() < deadline, "the pool did not start"
            time.sleep(0.1)
        proc.log_path, proc.env = log_path, env
        return proc

    yield start
    for proc, log in started:
        pids = [proc.pid, *(children(proc.pid) if proc.poll() is None else [])]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)
        log.close()
