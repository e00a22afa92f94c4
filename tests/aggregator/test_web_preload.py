"""aggregator/web.py: granian started the Procfile's way, with the app loaded before it forks
its workers. Both workers answer, ingest works, and most of each worker's memory is shared
with the main process (with plain `granian` each worker imports the app itself: its heap is
its own)."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import children
from tests.support.stack import APP_ENV, free_port

pytestmark = pytest.mark.one_pass

ROOT = Path(__file__).resolve().parents[2]


def _smaps_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return fields


def _get(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(url, data=data, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_workers_share_the_loaded_app(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV}
    # The worker count from granian's own variable, as the `granian` command reads it.
    env.update(DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT), GRANIAN_WORKERS="2")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True, timeout=120)  # fmt: skip
    port = free_port()
    log_path = tmp_path / "web.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "aggregator.web", "--interface", "wsgi", "--host", "127.0.0.1",
             "--port", str(port), "--blocking-threads", "2", "--no-ws",
             "aggregator.wsgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log_path.read_text(errors="replace")
            try:
                if _get(base + "/-/health/") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.2)
        # Enough requests that both workers serve some, through Django's full stack too.
        for _ in range(20):
            assert _get(base + "/-/health/") == 200
            assert _get(base + "/accounts/login/") == 200
        # The ingest fast path, loaded in the main process too: a clear 4xx for no key.
        assert 400 <= _get(base + "/api/1/store/", data=b"{}") < 500

        workers = children(proc.pid)
        assert len(workers) == 2
        for pid in workers:
            smaps = _smaps_kib(pid)
            # Anonymous pages (Python objects, bytecode) counted in full by RSS and, when
            # shared with the main process, in part by PSS. Without the preload nearly all
            # of a worker's anonymous memory is its own (Pss_Anon ≈ Anonymous).
            assert smaps["Anonymous"] > 40 * 1024, smaps
            assert smaps["Pss_Anon"] < 0.7 * smaps["Anonymous"], smaps
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    assert proc.returncode == 0, log_path.read_text(errors="replace")
