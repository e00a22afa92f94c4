"""WORKER_BEAT: a real worker with beat as a thread sends and runs the periodic tasks itself,
with no beat process, and stops cleanly; without it, nothing periodic happens."""

import ast
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults.harness import APP_ENV

from .conftest import CELERY, PROBE

pytestmark = pytest.mark.one_pass

ROOT = Path(__file__).resolve().parents[2]
DRAIN = "events.tasks.process_ingest_queue"  # every 2 s in CELERY_BEAT_SCHEDULE
BEAT_THREAD = "Beat"  # aggregator/embedded_beat.py's thread


@pytest.fixture
def migrated(tmp_path):
    # The drain task reads the ingest queue and the database: give it a real (empty) one.
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV}
    env.update(DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    return tmp_path


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def thread_names(proc) -> list[str]:
    """The threads of the process in which the worker ran the probe task we sent it."""
    task = f"{PROBE}.thread_names"
    call = subprocess.run(
        [str(CELERY), "-A", "aggregator", "call", task],
        cwd=ROOT, env=proc.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert call.returncode == 0, call.stderr
    done = re.compile(rf"Task {re.escape(task)}\[{call.stdout.strip()}\] succeeded in \S+: (.*)")

    def returned():
        match = done.search(proc.log_path.read_text(errors="replace"))
        return match and match.group(1)

    assert _wait_for(returned, 30), proc.log_path.read_text(errors="replace")
    return ast.literal_eval(returned())


@pytest.mark.parametrize("pool, concurrency", [("solo", 1), ("prefork", 2)])
def test_the_worker_runs_the_schedule_itself_and_stops_cleanly(
    start_worker, migrated, pool, concurrency
):
    # As ./run.sh runs it (the Procfile sets WORKER_CHILDREN_OWN_GROUP), and stopped as
    # honcho stops it: SIGTERM to the process group.
    proc = start_worker(
        pool=pool, concurrency=concurrency, WORKER_BEAT="1", WORKER_CHILDREN_OWN_GROUP="1"
    )

    def log():
        return proc.log_path.read_text(errors="replace")

    ran = _wait_for(lambda: log().count(f"Task {DRAIN}[") >= 2 and " succeeded in " in log(), 30)
    assert ran, log()
    assert "Sending due task drain-ingest-queue" in log()
    if pool == "solo":  # tasks run in the worker's own process: the probe sees the beat thread
        assert BEAT_THREAD in thread_names(proc)
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, log()
    assert list(migrated.glob("celerybeat-schedule*"))  # beat saved its schedule on the way out


def test_without_it_the_worker_sends_nothing_periodic(start_worker, migrated):
    proc = start_worker(pool="solo", concurrency=1)
    # The worker starts its steps, beat's thread among them, before it takes any task (its
    # consumer starts last), so a task it runs has that thread beside it, if there is one:
    # the test above shows the probe sees it. With none, nothing here sends periodic tasks.
    assert BEAT_THREAD not in thread_names(proc)
    text = proc.log_path.read_text(errors="replace")
    assert f"Task {DRAIN}[" not in text
    assert "Sending due task" not in text
