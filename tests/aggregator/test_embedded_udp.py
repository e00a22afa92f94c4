"""WORKER_UDP_BIND: a real worker (./run.sh's default layout: prefork with 2 children, beat and
the UDP listener as threads of the main process; and the solo pool) receives raven datagrams,
records beat's heartbeat, and stops cleanly; the prefork children hold no copy of the socket."""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.harness import APP_ENV
from tests.support.datagrams import datagram, raven_event
from tests.support.processes import children

from .conftest import ROOT
from .test_embedded_beat import _wait_for

pytestmark = pytest.mark.one_pass


def udp_socket_holders(port: int, pids: list[int]) -> list[int]:
    """Which of `pids` hold the UDP socket bound to `port` (/proc/net/udp's inode)."""
    inodes = set()
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port:
            inodes.add(f"socket:[{fields[9]}]")
    assert inodes, f"nothing listens on udp port {port}"
    holders = []
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        if any(os.readlink(fd) in inodes for fd in fds.iterdir()):
            holders.append(pid)
    return holders


@pytest.mark.parametrize("pool, concurrency", [("prefork", 2), ("solo", 1)])
def test_the_worker_listens_for_datagrams_and_stops_cleanly(
    start_worker, tmp_path, pool, concurrency
):
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV}
    env.update(DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True, timeout=120)  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "createsuperuser", "--noinput", "--username",
                    "owner", "--email", "owner@example.com"],
                   cwd=ROOT, env=env, check=True, timeout=120, capture_output=True)  # fmt: skip
    dsn = subprocess.run([sys.executable, "manage.py", "createproject", "udp", "udp"],
                         cwd=ROOT, env=env, check=True, timeout=120, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]  # fmt: skip
    public_key = dsn.split("//")[1].split("@")[0]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bind = f"127.0.0.1:{port}"
    proc = start_worker(pool=pool, concurrency=concurrency, WORKER_BEAT="1", WORKER_UDP_BIND=bind,
                        WORKER_CHILDREN_OWN_GROUP="1")  # fmt: skip

    def log():
        return proc.log_path.read_text(errors="replace")

    stats = tmp_path / f"udp-stats-127.0.0.1_{port}.json"
    assert _wait_for(stats.exists, 30), log()
    # The listener is the main process's: the children were forked before it bound the port.
    pool_children = children(proc.pid)
    assert len(pool_children) == (concurrency if pool == "prefork" else 0)
    assert udp_socket_holders(port, [proc.pid, *pool_children]) == [proc.pid]
    event = raven_event()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(datagram(public_key, event), ("127.0.0.1", port))

    def accepted():
        try:
            return json.loads(stats.read_text())["accepted"] == 1
        except (OSError, ValueError):
            return False

    assert _wait_for(accepted, 30), log()
    # Beat, as a thread, ticks through the configured scheduler: its heartbeat is written.
    assert _wait_for((tmp_path / "heartbeats" / "beat").exists, 30), log()
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=60) == 0, log()
    assert "udp: stopped; 1 received, 1 accepted" in log()
