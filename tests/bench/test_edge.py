"""bench/edge.py: a whole ingest request through the WSGI fast path, in a process of its own
(it sets Django up with the app's settings on a throwaway DATA_DIR)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_requests_are_accepted_and_timed():
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "edge.py"), "--requests", "5", "--rounds", "1"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr  # edge.py raises unless every answer is a 200
    assert float(re.search(r"µs/request\s+([\d.]+)", run.stdout).group(1)) > 0
