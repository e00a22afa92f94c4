"""How long a Celery worker on the embedded default's file broker takes to stop.

    .venv/bin/python bench/worker_stop.py [--rounds 5] [--pools solo,prefork]

Two figures:

- `drain_events`: from a stop request (the flag Celery's SIGTERM handler sets) to the
  broker's polling wait returning, with the 2 s timeout Celery's loop passes; for
  aggregator.fsbroker and, for comparison, kombu's own filesystem transport, which waits the
  timeout out.
- `worker`: an idle `celery worker` (a temporary DATA_DIR, as ./run.sh's Procfile starts it)
  from SIGTERM to its process group, which is what honcho sends, to its exit. honcho kills
  what is still running 5 s later.

tests/aggregator/test_fsbroker.py checks the behaviour by counting polls; the time is
measured here, not asserted by a test, since it depends on the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if not __package__:  # run as a script: the repository root makes `aggregator` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from celery.worker import state as worker_state  # noqa: E402
from kombu import Connection  # noqa: E402
from kombu.transport import filesystem  # noqa: E402

from aggregator import fsbroker  # noqa: E402
from bench.run import APP_ENV  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).parent / "celery"
CELERY_TIMEOUT = 2.0  # what Celery's loop for polling brokers passes to drain_events
HONCHO_GRACE = 5.0


def stop_latency(transport, folder: Path) -> float:
    """Seconds from the stop flag, set at a random moment of a poll, to drain_events ending."""
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder),
               "control_folder": str(folder / "control")}  # fmt: skip
    for name in options.values():
        os.makedirs(name, exist_ok=True)
    asked = []

    def ask_to_stop():
        asked.append(time.monotonic())
        worker_state.should_stop = 0  # as Celery's SIGTERM handler does

    worker_state.should_stop, worker_state.should_terminate = False, None
    with Connection(transport=transport, transport_options=options) as conn:
        queue = conn.SimpleQueue("bench")
        timer = threading.Timer(random.uniform(0.05, 0.95), ask_to_stop)
        timer.start()
        try:
            conn.drain_events(timeout=CELERY_TIMEOUT)
        except TimeoutError:
            pass
        ended = time.monotonic()
        timer.join()
        worker_state.should_stop = False
        queue.close()
    return ended - asked[0]


def worker_stop(pool: str, tmp: Path) -> tuple[float, int]:
    """(seconds from SIGTERM to the process group until the worker exited, exit code)."""
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV}
    # WORKER_CHILDREN_OWN_GROUP as the Procfile sets it: SIGTERM reaches the main process only.
    env.update(DATA_DIR=str(tmp), PYTHONPATH=str(ROOT), SECRET_KEY=secrets.token_urlsafe(50),
               WORKER_CHILDREN_OWN_GROUP="1")  # fmt: skip
    log = tmp / f"worker-{pool}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(CELERY), "-A", "aggregator", "worker", "--pool", pool, "--concurrency", "2",
             "--loglevel", "INFO", "--without-heartbeat", "--without-mingle", "--without-gossip",
             "-n", f"stopbench-{pool}@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start; see {log}")
            time.sleep(0.1)
        time.sleep(1.0)  # idle: inside its polling wait
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=60)
        return time.monotonic() - started, code
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # children in groups of their own stay alone
        except ProcessLookupError:
            pass
        if proc.poll() is None:
            proc.wait(timeout=10)


def row(name: str, runs: list[float], extra: str = "") -> str:
    return f"{name:<34}{statistics.median(runs):>10.2f}{max(runs):>8.2f}  {extra}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pools", default="solo,prefork")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aggregator.settings")
    tmp = Path(tempfile.mkdtemp(prefix="worker-stop-"))
    try:
        print(f"{'from the stop request to':<34}{'median s':>10}{'max s':>8}")
        for name, transport in (("fsbroker drain_events", fsbroker.Transport),
                                ("kombu filesystem drain_events", filesystem.Transport)):  # fmt: skip
            runs = [stop_latency(transport, tmp / "broker") for _ in range(args.rounds)]
            print(row(name, runs, f"(timeout {CELERY_TIMEOUT:g} s)"), flush=True)
        for pool in args.pools.split(","):
            results = []
            for n in range(args.rounds):
                (folder := tmp / f"{pool}-{n}").mkdir()
                results.append(worker_stop(pool, folder))
            codes = sorted({code for _, code in results})
            late = sum(seconds > HONCHO_GRACE for seconds, _ in results)
            extra = f"(exit codes {codes}, {late} past honcho's {HONCHO_GRACE:g} s)"
            print(row(f"idle {pool} worker exit", [s for s, _ in results], extra), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
