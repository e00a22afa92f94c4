"""Failure and recovery thresholds, pure: a monitor's health after one more check-in.

`failures` counts consecutive failures (error, missed, timeout), `oks` consecutive OKs since
an incident opened. An incident opens when failures reach the failure threshold; while it is
open every failure is reported (one more event on the monitor's issue), and it closes after
`recovery_threshold` OKs in a row, which resolves the issue.
"""

from __future__ import annotations

from dataclasses import dataclass

RAISE = "raise"  # report the failure on the monitor's issue (opens or reopens it)
RESOLVE = "resolve"  # resolve the monitor's issue


@dataclass(frozen=True)
class Health:
    failures: int = 0
    oks: int = 0
    failing: bool = False


def step(health: Health, ok: bool, failure_threshold: int, recovery_threshold: int):
    """(new Health, RAISE / RESOLVE / None) after one finished check-in."""
    if ok:
        if not health.failing:
            return Health(), None
        oks = health.oks + 1
        if oks >= recovery_threshold:
            return Health(), RESOLVE
        return Health(0, oks, True), None
    failures = health.failures + 1
    if health.failing or failures >= failure_threshold:
        return Health(failures, 0, True), RAISE
    return Health(failures, 0, False), None
