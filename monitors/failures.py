"""A failing monitor's issue: one per monitor, raised through the same write path as SDK
events (events/synthetic.py), so notification rules, digests, the API and triage treat it
like any issue. A resolved issue comes back as a regression on the next failure.

Failures are collected in a `Failures` batch and stored together: beat's pass writes all
the failures it finds in one batch write, a check-in its one.
"""

from __future__ import annotations

import uuid

from events import synthetic
from events.issues import triage

from .models import Monitor, Status

REASONS = {
    Status.ERROR: "check-in reported an error",
    Status.MISSED: "missed check-in",
    Status.TIMEOUT: "timed out (ran past its max runtime)",
}


def failure_event(monitor: Monitor, reason: str) -> dict:
    return {
        "event_id": uuid.uuid4().hex,
        "level": "error",
        "platform": "other",
        "logger": "monitors",
        "message": f"Monitor failure: {monitor.slug}: {reason}",
        "fingerprint": ["monitor-failure", str(monitor.pk)],  # one issue per monitor
        "tags": {"monitor.slug": monitor.slug},
        "extra": {"monitor": monitor.slug, "reason": reason},
    }


class Failures:
    """Failure events to store at once; `store()` sets each monitor's issue (unsaved) and
    returns the outcomes for events.synthetic.emit after commit."""

    def __init__(self):
        self._events: list[tuple[int, dict]] = []
        self._monitors: dict[str, Monitor] = {}

    def add(self, monitor: Monitor, reason: str) -> None:
        if monitor.muted:  # muting stops the issues, not the recording
            return
        event = failure_event(monitor, reason)
        self._events.append((monitor.project_id, event))
        self._monitors[event["event_id"]] = monitor

    def store(self) -> list:
        if not self._events:
            return []
        outcomes = synthetic.store_events(self._events)
        for outcome in outcomes:
            for event_id in outcome.event_ids:
                self._monitors[event_id].issue_id = outcome.issue_id
        self._events, self._monitors = [], {}
        return outcomes


def resolve_issue(monitor: Monitor) -> None:
    """Enough OK check-ins in a row: the monitor's issue is resolved (logged by the system)."""
    if monitor.issue_id is not None:
        triage.resolve([monitor.issue_id], None)
