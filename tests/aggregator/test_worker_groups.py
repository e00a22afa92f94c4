"""A real prefork worker stopped the way honcho (./run.sh) stops it: SIGTERM to its whole
process group. With WORKER_CHILDREN_OWN_GROUP (the Procfile sets it) the pool's processes
are in groups of their own, so that signal reaches only the main process, which shuts the
pool down itself."""

import os
import signal
import time

import pytest

from tests.support.processes import alive, children

pytestmark = pytest.mark.one_pass


def test_children_share_the_workers_group_by_default(start_worker):
    proc = start_worker()
    pool = children(proc.pid)
    assert len(pool) == 2
    assert {os.getpgid(pid) for pid in pool} == {os.getpgid(proc.pid)}


def test_a_group_sigterm_stops_the_worker_cleanly_when_children_have_their_own(start_worker):
    proc = start_worker(WORKER_CHILDREN_OWN_GROUP="1")
    pool = children(proc.pid)
    assert len(pool) == 2
    # Each leads a group of its own once its worker_process_init ran, which can come after
    # the main process says "ready" on a busy machine.
    deadline = time.monotonic() + 30
    while not all(os.getpgid(pid) == pid for pid in pool) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(os.getpgid(pid) == pid for pid in pool)
    os.killpg(proc.pid, signal.SIGTERM)  # what honcho does on Ctrl-C
    assert proc.wait(timeout=30) == 0  # a warm shutdown, not a kill
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pool) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pool)
