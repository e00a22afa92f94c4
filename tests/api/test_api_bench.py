"""bench/api_bench.py runs end to end (tiny and on SQLite here; the real run is by hand)."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.one_pass

ROOT = Path(__file__).resolve().parents[2]


def test_api_bench_runs_at_a_tiny_scale():
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "api_bench.py"), "--backend", "sqlite",
         "--issues", "300", "--events", "20", "--runs", "1"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith("issue list")]
    assert len(lines) == 8
    assert all(float(line.split()[-3]) > 0 for line in lines)
