"""Pure helpers that turn our rows and payloads into Sentry's field values."""

from __future__ import annotations

from events.models import Activity, Issue

# Crockford's base 32 (no I, L, O, U), as Sentry writes short ids: BACKEND-1A.
_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

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


def base32(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 32)
        digits = _BASE32[rest] + digits
        if not number:
            return digits


def short_id(project_slug: str, issue_id: int) -> str:
    return f"{project_slug.upper()}-{base32(issue_id)}"


def parse_short_id(text: str) -> tuple[str, int] | None:
    """("backend", 42) for "BACKEND-1A"; None when it is not a short id."""
    slug, sep, code = text.strip().rpartition("-")
    code = code.upper()
    if not sep or not slug or not code or any(c not in _BASE32 for c in code) or len(code) > 12:
        return None
    number = 0
    for c in code:
        number = number * 32 + _BASE32.index(c)
    return slug.lower(), number


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
