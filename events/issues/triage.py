"""Every change of an issue's state made by a person, in one place, each logged as Activity.

The write path (`events/processing/store.py`) changes status on its own (regression, end of an ignore); those
changes reach the log through the signal receivers at the bottom.

Updates are conditional UPDATEs on the rows, not read-modify-write of model instances, so a
concurrent worker bumping counters on the same issue is never overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from events import lifecycle, releases
from events.models import Activity, Issue

log = logging.getLogger(__name__)
Status = Issue.Status

MAX_IGNORE_MINUTES = 366 * 24 * 60
MAX_IGNORE_COUNT = 10**9


def _log(issue_ids: Iterable[int], user, kind: str, data: dict | None = None) -> None:
    now = timezone.now()
    Activity.objects.bulk_create(
        [
            Activity(issue_id=i, user=user, kind=kind, data=data or {}, created=now)
            for i in issue_ids
        ]
    )


@transaction.atomic
def resolve(
    issue_ids: list[int], user, *, in_release: str = "", in_next_release: bool = False
) -> int:
    """Resolve; `in_release`: events of that release or older ones leave it resolved;
    `in_next_release`: the same with each project's newest release now (a plain resolve
    where a project has no release yet, or the releases app is not installed)."""
    qs = Issue.objects.filter(pk__in=issue_ids)
    if not (in_release or in_next_release):
        qs = qs.exclude(status=Status.RESOLVED)
    rows = list(qs.values_list("pk", "project_id"))
    latest: dict[int, str] = {}
    hook = releases.hook()
    if in_next_release and hook is not None:
        latest = hook.latest({project_id for _pk, project_id in rows})
    by_release: dict[str, list[int]] = {}
    for pk, project_id in rows:
        version = in_release[:200] if in_release else latest.get(project_id, "")
        by_release.setdefault(version, []).append(pk)
    now = timezone.now()
    for version, ids in by_release.items():
        Issue.objects.filter(pk__in=ids).update(
            status=Status.RESOLVED, resolved_at=now, regressed=False,
            ignore_until=None, ignore_until_count=None, resolved_in_release=version,
            resolved_in_next_release=bool(version) and in_next_release,
        )  # fmt: skip
        data = {}
        if version:
            data = {"nextRelease" if in_next_release else "release": version}
        _log(ids, user, Activity.Kind.RESOLVED, data)
    return len(rows)


@transaction.atomic
def unresolve(issue_ids: list[int], user) -> int:
    changed = list(
        Issue.objects.filter(pk__in=issue_ids)
        .exclude(status=Status.UNRESOLVED)
        .values_list("pk", flat=True)
    )
    Issue.objects.filter(pk__in=changed).update(
        status=Status.UNRESOLVED, resolved_at=None, ignore_until=None, ignore_until_count=None,
        resolved_in_release="", resolved_in_next_release=False,
    )  # fmt: skip
    _log(changed, user, Activity.Kind.UNRESOLVED)
    return len(changed)


@transaction.atomic
def ignore(
    issue_ids: list[int], user, *, minutes: int | None = None, count: int | None = None
) -> int:
    """Ignore forever, for `minutes`, or until `count` more events (whichever is given).

    The write path brings the issue back when an event arrives after the time, or once
    times_seen reaches the stored threshold (times_seen now + count)."""
    if minutes is not None and not 0 < minutes <= MAX_IGNORE_MINUTES:
        raise ValueError("ignore minutes out of range")
    if count is not None and not 0 < count <= MAX_IGNORE_COUNT:
        raise ValueError("ignore count out of range")
    until = timezone.now() + timedelta(minutes=minutes) if minutes else None
    ids = list(Issue.objects.filter(pk__in=issue_ids).values_list("pk", flat=True))
    Issue.objects.filter(pk__in=ids).update(
        status=Status.IGNORED, resolved_at=None, ignore_until=until,
        ignore_until_count=F("times_seen") + count if count else None,
    )  # fmt: skip
    data = {}
    if until:
        data["until"] = until.isoformat()
        data["minutes"] = minutes
    if count:
        data["count"] = count
    _log(ids, user, Activity.Kind.IGNORED, data)
    return len(ids)


@transaction.atomic
def assign(issue_ids: list[int], user, assignee) -> int:
    """Assign to `assignee` (a user; the caller checks membership) or unassign with None."""
    qs = Issue.objects.filter(pk__in=issue_ids)
    qs = qs.exclude(assignee=assignee) if assignee else qs.exclude(assignee__isnull=True)
    changed = list(qs.values_list("pk", flat=True))
    Issue.objects.filter(pk__in=changed).update(assignee=assignee)
    if assignee:
        _log(changed, user, Activity.Kind.ASSIGNED, {"assignee": assignee.get_username()})
    else:
        _log(changed, user, Activity.Kind.UNASSIGNED)
    return len(changed)


@transaction.atomic
def delete(issue_ids: list[int]) -> int:
    """Delete issues with their tag counts, hourly counts and activity now, and their
    events in the background, in batches (events/lifecycle.py)."""
    return lifecycle.forget_issues(issue_ids)


# --- Changes made by the write path, logged from its after-commit signals ----------------


def _log_system(kind: str, issue_id: int, data: dict | None = None) -> None:
    try:
        _log([issue_id], None, kind, data)
    except DatabaseError:  # never fail a worker's batch over a log line
        log.exception("could not log %s for issue %s", kind, issue_id)


def on_issue_regressed(sender, *, issue_id: int, release: str = "", **kwargs) -> None:
    _log_system(Activity.Kind.REGRESSED, issue_id, {"release": release} if release else None)


def on_issue_unignored(sender, *, issue_id: int, **kwargs) -> None:
    _log_system(Activity.Kind.UNIGNORED, issue_id)
