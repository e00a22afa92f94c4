"""Pure helpers that turn our rows and payloads into Sentry's field values."""

from __future__ import annotations

from events import shortids
from events.models import Activity, Issue

ACTIVITY_TYPES = {
    Activity.Kind.RESOLVED: "set_resolved",
    Activity.Kind.UNRESOLVED: "set_unresolved",
    Activity.Kind.IGNORED: "set_ignored",
    Activity.Kind.ASSIGNED: "assigned",
    Activity.Kind.UNASSIGNED: "unassigned",
    Activity.Kind.REGRESSED: "set_regression",
    Activity.Kind.UNIGNORED: "set_unresolved",
}

# Interfaces shown as entries of an event, in Sentry's order.
_ENTRY_KEYS = ("exception", "threads", "stacktrace", "breadcrumbs", "request")


def short_id(project_slug: str, number: int) -> str:
    """WEB-SHOP-12: the project's slug and the issue's number in it (`events.shortids`)."""
    return shortids.format(project_slug, number)


def parse_short_id(text: str) -> tuple[str, int] | None:
    """("web-shop", 12) for "WEB-SHOP-12"; None when it is not a short id."""
    return shortids.parse(text)


def substatus(issue: Issue) -> str | None:
    if issue.status == Issue.Status.UNRESOLVED:
        return "regressed" if issue.regressed else "ongoing"
    if issue.status == Issue.Status.IGNORED:
        if issue.ignore_until or issue.ignore_until_count:
            return "archived_until_condition_met"
        return "archived_forever"
    return None


def status_details(issue: Issue) -> dict:
    details: dict = {}
    if issue.status == Issue.Status.IGNORED:
        if issue.ignore_until:
            details["ignoreUntil"] = issue.ignore_until.isoformat().replace("+00:00", "Z")
        if issue.ignore_until_count:
            details["ignoreCount"] = max(issue.ignore_until_count - issue.times_seen, 0)
    if issue.status == Issue.Status.RESOLVED and issue.resolved_in_release:
        if issue.resolved_in_next_release:
            details["inNextRelease"] = True
        else:
            details["inRelease"] = issue.resolved_in_release
    return details


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def tag_pairs(tags) -> list[dict]:
    if isinstance(tags, dict):
        items = tags.items()
    elif isinstance(tags, list):
        items = [t for t in tags if isinstance(t, list | tuple) and len(t) == 2]
    else:
        items = []
    return [{"key": str(k), "value": str(v)} for k, v in items]


def entries(data: dict) -> list[dict]:
    """The event's interfaces as Sentry's `entries`: [{"type": ..., "data": ...}]."""
    out = []
    logentry = as_dict(data.get("logentry"))
    message = logentry.get("formatted") or logentry.get("message")
    if message:
        out.append({"type": "message", "data": {"formatted": str(message)}})
    for key in _ENTRY_KEYS:
        if data.get(key):
            out.append({"type": key, "data": data[key]})
    return out
