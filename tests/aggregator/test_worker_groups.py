"""A real prefork worker stopped the way honcho (./run.sh) stops it: SIGTERM to its whole
process group. With WORKER_CHILDREN_OWN_GROUP (the Procfile sets it) the pool's processes
are in groups of their own, so that signal reaches only the main process, which shuts the
pool down itself."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults.harness import APP_ENV

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


@pytest.fixture
def start_worker(tmp_path):
    started = []

    def start(**env_extra) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if k not in APP_ENV}
        env.update(DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT), **env_extra)
        log = open(tmp_path / f"worker{len(started)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [str(CELERY), "-A", "aggregator", "worker", "--pool", "prefork",
             "--concurrency", "2", "--loglevel", "INFO", "--without-heartbeat",
             "--without-mingle", "--without-gossip", "-n", f"groups{len(started)}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # as honcho starts it: a process group of its own
        )  # fmt: skip
        started.append((proc, log))
        deadline = time.monotonic() + 60
        while " ready." not in (tmp_path / log.name).read_text(errors="replace"):
            assert proc.poll() is None, (tmp_path / log.name).read_text(errors="replace")
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)
        while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        return proc

    yield start
    for proc, log in started:
        pids = [proc.pid, *(_children(proc.pid) if proc.poll() is None else [])]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)
        log.close()


def test_children_share_the_workers_group_by_default(start_worker):
    proc = start_worker()
    children = _children(proc.pid)
    assert len(children) == 2
    assert {os.getpgid(pid) for pid in children} == {os.getpgid(proc.pid)}


def test_a_group_sigterm_stops_the_worker_cleanly_when_children_have_their_own(start_worker):
    proc = start_worker(WORKER_CHILDREN_OWN_GROUP="1")
    children = _children(proc.pid)
    assert len(children) == 2
    assert all(os.getpgid(pid) == pid for pid in children)  # each leads a group of its own
    os.killpg(proc.pid, signal.SIGTERM)  # what honcho does on Ctrl-C
    assert proc.wait(timeout=30) == 0  # a warm shutdown, not a kill
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in children)
