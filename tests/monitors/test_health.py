"""Failure and recovery thresholds, table-driven over sequences of check-in results."""

import pytest

from monitors.health import RAISE, RESOLVE, Health, step

pytestmark = pytest.mark.one_pass

# (failure threshold, recovery threshold, results "F"ail / "o"k, expected actions per step)
CASES = [
    (1, 1, "F", [RAISE]),
    (1, 1, "FFo", [RAISE, RAISE, RESOLVE]),
    (1, 1, "oo", [None, None]),
    (3, 1, "FF", [None, None]),
    (3, 1, "FFF", [None, None, RAISE]),
    (3, 1, "FFoFF", [None, None, None, None, None]),  # an OK breaks the run of failures
    (3, 1, "FFFFo", [None, None, RAISE, RAISE, RESOLVE]),
    (2, 3, "FFooo", [None, RAISE, None, None, RESOLVE]),
    (2, 3, "FFooFoo", [None, RAISE, None, None, RAISE, None, None]),  # not 3 OKs in a row
    (2, 3, "FFooFooo", [None, RAISE, None, None, RAISE, None, None, RESOLVE]),
    (1, 2, "FoFoo", [RAISE, None, RAISE, None, RESOLVE]),
]


@pytest.mark.parametrize("failure, recovery, results, expected", CASES)
def test_thresholds(failure, recovery, results, expected):
    health, actions = Health(), []
    for result in results:
        health, action = step(health, result == "o", failure, recovery)
        actions.append(action)
    assert actions == expected
    if expected[-1] == RESOLVE:
        assert health == Health()
