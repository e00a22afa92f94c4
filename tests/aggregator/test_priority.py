"""WORKER_NICE: the worker lowers its own priority, and its session's when it leads one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.one_pass

PROBE = """
import os
from pathlib import Path
from aggregator import priority
priority.lower({nice})
group = Path("/proc/self/autogroup")
words = group.read_text().split() if group.exists() else []
print(os.nice(0), words[-1] if words else "-")
"""


def _own_autogroup() -> str:
    """This process's autogroup nice, or "-" when the file is empty: a session that never
    got an autogroup of its own (seen on a CI runner) shows nothing there."""
    words = Path("/proc/self/autogroup").read_text().split()
    return words[-1] if words else "-"


needs_autogroup = pytest.mark.skipif(
    not Path("/proc/self/autogroup").exists(), reason="no autogroups here"
)


def _probe(nice: int, new_session: bool) -> tuple[int, str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(nice=nice)],
        capture_output=True, text=True, check=True, start_new_session=new_session,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.split()  # fmt: skip
    return int(out[0]), out[1]


@needs_autogroup
def test_a_session_leader_lowers_its_process_and_its_session():
    assert _probe(7, new_session=True) == (min(19, os.nice(0) + 7), "7")


@needs_autogroup
def test_a_process_inside_another_session_leaves_the_session_alone():
    before = _own_autogroup()
    assert _probe(7, new_session=False) == (min(19, os.nice(0) + 7), before)


def test_zero_changes_nothing():
    nice, _group = _probe(0, new_session=True)
    assert nice == os.nice(0)
