"""WORKER_UDP_BIND: a real worker (./run.sh's default layout: solo pool, beat and the UDP
listener as threads) receives raven datagrams, records beat's heartbeat, and stops cleanly."""

import json
import os
import signal
import socket
import subprocess
import sys

from tests.faults.harness import APP_ENV
from tests.support.datagrams import datagram, raven_event

from .conftest import ROOT
from .test_embedded_beat import _wait_for


def test_the_worker_listens_for_datagrams_and_stops_cleanly(start_worker, tmp_path):
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
    proc = start_worker(pool="solo", concurrency=1, WORKER_BEAT="1", WORKER_UDP_BIND=bind,
                        WORKER_CHILDREN_OWN_GROUP="1")  # fmt: skip

    def log():
        return proc.log_path.read_text(errors="replace")

    stats = tmp_path / f"udp-stats-127.0.0.1_{port}.json"
    assert _wait_for(stats.exists, 30), log()
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
