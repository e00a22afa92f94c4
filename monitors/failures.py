"""A failing monitor's issue: one per monitor, raised through the same write path as SDK
events (events/synthetic.py), so notification rules, digests, the API and triage treat it
like any issue. A resolved issue comes back as a regression on the next failure."""

from __future__ import annotations

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
        "level": "error",
        "platform": "other",
        "logger": "monitors",
        "message": f"Monitor failure: {monitor.slug}: {reason}",
        "fingerprint": ["monitor-failure", str(monitor.pk)],  # one issue per monitor
        "tags": {"monitor.slug": monitor.slug},
        "extra": {"monitor": monitor.slug, "reason": reason},
    }


def raise_issue(monitor: Monitor, reason: str) -> list:
    """Store one failure event on the monitor's issue (unless muted); returns outcomes for
    events.synthetic.emit after commit."""
    if monitor.muted:
        return []
    outcomes = synthetic.store_event(monitor.project_id, failure_event(monitor, reason))
    if outcomes:
        monitor.issue_id = outcomes[0].issue_id
    return outcomes


def resolve_issue(monitor: Monitor) -> None:
    """Enough OK check-ins in a row: the monitor's issue is resolved (logged by the system)."""
    if monitor.issue_id is not None:
        triage.resolve([monitor.issue_id], None)
