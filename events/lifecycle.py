"""Data lifecycle: events older than their project's retention go, in bounded batches.

Every delete here is a short transaction of at most `batch` events, so neither ingest nor the
dashboard waits on a long lock, and each batch takes the stored counts of the issues it
touched down by exactly what it deleted (`Issue.stored_count`; `times_seen` and tag counts
are history and stay; hourly counts older than the retention go, as charts end there).
Issues are locked last and in id order, as the batch write (`processing/store.py`) does,
so the two never deadlock. Between batches a cleanup pauses (`CLEANUP_DUTY`).

Other apps' rows that age with their project's events (monitor check-ins) register here
(`also_expire`, from their AppConfig.ready) and go with the same retention, batches and pace.

Events go by their own timestamp through the (issue, timestamp) index the issue page already
uses, so retention costs no index on the write path. An issue whose last event is older
than the retention has no events left and is deleted with its tag and hourly counts.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from events import space
from events.models import Event, Issue, IssueHourlyCount, IssueTag, PendingDeletion
from projects.models import Project

ISSUE_CHUNK = 200  # issues per statement when looking for their old events


@dataclass
class Summary:
    events: int = 0
    issues: int = 0
    projects: dict[str, int] = field(default_factory=dict)  # "org/project" -> events
    others: dict[str, int] = field(default_factory=dict)  # "check-ins" -> rows

    def add(self, other: Summary) -> None:
        self.events += other.events
        self.issues += other.issues
        for name, n in other.projects.items():
            self.projects[name] = self.projects.get(name, 0) + n
        for label, n in other.others.items():
            self.others[label] = self.others.get(label, 0) + n


@dataclass(frozen=True)
class Retained:
    """Rows of another app that go with their project's retention: `old(project, cutoff)`
    gives the WHERE clauses (with params) that pick a project's rows older than the cutoff,
    each using an index of `table`."""

    label: str
    table: str
    old: Callable[[Project, datetime], Iterable[tuple[str, list]]]


_others: list[Retained] = []


def also_expire(label: str, table: str, old) -> None:
    if all(r.label != label for r in _others):
        _others.append(Retained(label, table, old))


def _placeholders(n: int) -> str:
    return ", ".join(["%s"] * n)


def _take_down(per_issue: Counter) -> None:
    """Lower stored counts by what a batch deleted, in id order (see the module comment)."""
    with connection.cursor() as cur:
        cur.executemany(
            f"UPDATE {Issue._meta.db_table} SET stored_count = "
            "CASE WHEN stored_count > %s THEN stored_count - %s ELSE 0 END WHERE id = %s",
            [(n, n, issue_id) for issue_id, n in sorted(per_issue.items())],
        )


def delete_batch(where: str, params: list, batch: int) -> int:
    """Delete up to `batch` events matching `where` in one transaction; how many went."""
    table = Event._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(
                f"DELETE FROM {table} WHERE id IN "
                f"(SELECT id FROM {table} WHERE {where} LIMIT %s) RETURNING issue_id",
                [*params, batch],
            )
            per_issue = Counter(row[0] for row in cur.fetchall())
        _take_down(per_issue)
    return sum(per_issue.values())


def _count(where: str, params: list) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {Event._meta.db_table} WHERE {where}", params)
        return cur.fetchone()[0]


def _rest(busy: float) -> None:
    """After a batch that took `busy` seconds, pause so deleting takes at most
    CLEANUP_DUTY of the time: on a small machine ingest keeps its CPU while a big cleanup
    runs (bench/lifecycle.py cleanup measures it)."""
    duty = settings.CLEANUP_DUTY
    if 0 < duty < 1:
        time.sleep(busy * (1 - duty) / duty)


def _drain(where: str, params: list, batch: int, tick: Callable[[int], None]) -> int:
    total = 0
    while True:
        started = time.monotonic()
        n = delete_batch(where, params, batch)
        total += n
        tick(n)
        if n < batch:
            return total
        _rest(time.monotonic() - started)


def _drain_rows(table: str, where: str, params: list, batch: int) -> int:
    """Delete the rows of `table` matching `where`, `batch` per transaction, at the pace of
    the events' deletes; how many went."""
    total = 0
    while True:
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {where} LIMIT %s)",
                [*params, batch],
            )
            n = cur.rowcount
        total += n
        if n < batch:
            return total
        _rest(time.monotonic() - started)


def _expire_others(project: Project, cutoff: datetime, batch: int, dry_run: bool) -> dict:
    """The registered apps' rows of a project older than the cutoff; rows per label."""
    gone = {}
    for retained in _others:
        n = 0
        for where, params in retained.old(project, cutoff):
            if dry_run:
                with connection.cursor() as cur:
                    cur.execute(f"SELECT count(*) FROM {retained.table} WHERE {where}", params)
                    n += cur.fetchone()[0]
            else:
                n += _drain_rows(retained.table, where, params, batch)
        if n:
            gone[retained.label] = n
    return gone


def old_events(issue_ids: list[int], cutoff: datetime) -> tuple[str, list]:
    where = f"issue_id IN ({_placeholders(len(issue_ids))}) AND timestamp < %s"
    return where, [*issue_ids, connection.ops.adapt_datetimefield_value(cutoff)]


def _chunks(ids: list[int], size: int = ISSUE_CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def delete_issues(issue_ids: list[int], batch: int | None = None, tick=None) -> Summary:
    """Delete issues whose events are (nearly all) past retention: their events in batches
    first, then the issues with their counts."""
    batch = batch or settings.CLEANUP_BATCH_SIZE
    tick = tick or (lambda n: None)
    summary = Summary()
    for chunk in _chunks(sorted(issue_ids)):
        where = f"issue_id IN ({_placeholders(len(chunk))})"
        summary.events += _drain(where, chunk, batch, tick)
        summary.issues += Issue.objects.filter(pk__in=chunk).delete()[1].get("events.Issue", 0)
    return summary


def expire_project(
    project: Project,
    now: datetime,
    days: int | None = None,
    *,
    dry_run: bool = False,
    batch: int | None = None,
    tick: Callable[[int], None] | None = None,
) -> Summary:
    """Delete a project's events older than `days` (its retention by default), then its
    issues that have none left. With dry_run, count what would go and delete nothing."""
    batch = batch or settings.CLEANUP_BATCH_SIZE
    tick = tick or (lambda n: None)
    cutoff = now - timedelta(days=days if days is not None else project.retention())
    # Only issues first seen before the cutoff can have events older than it.
    candidates = list(
        Issue.objects.filter(project=project, first_seen__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)
    )
    summary = Summary()
    for chunk in _chunks(candidates):
        where, params = old_events(chunk, cutoff)
        if dry_run:
            n = _count(where, params)
            tick(n)
            summary.events += n
        else:
            summary.events += _drain(where, params, batch, tick)
    if not dry_run:
        _drop_old_hours(project, cutoff, batch)
    summary.others = _expire_others(project, cutoff, batch, dry_run)
    # Every event of these is older than the cutoff, so none is left (or, dry, none would be).
    gone = list(
        Issue.objects.filter(project=project, last_seen__lt=cutoff).values_list("id", flat=True)
    )
    if dry_run:
        summary.issues = len(gone)
    else:
        summary.add(delete_issues(gone, batch, tick))
    summary.projects[f"{project.organization.slug}/{project.slug}"] = summary.events
    return summary


def _drop_old_hours(project: Project, cutoff: datetime, batch: int) -> None:
    """Hourly counts older than the retention: charts cannot go back that far, and without
    this a live issue's buckets would grow for ever."""
    table = IssueHourlyCount._meta.db_table
    when = connection.ops.adapt_datetimefield_value(cutoff.replace(minute=0, second=0))
    while True:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table}"
                " WHERE project_id = %s AND hour < %s LIMIT %s)",
                [project.pk, when, batch],
            )
            if cur.rowcount < batch:
                return


def pending(projects: Iterable[Project], now: datetime, days: int | None = None) -> int:
    """How many events are past retention: the total for a progress bar."""
    total = 0
    for project in projects:
        cutoff = now - timedelta(days=days if days is not None else project.retention())
        ids = list(
            Issue.objects.filter(project=project, first_seen__lt=cutoff).values_list(
                "id", flat=True
            )
        )
        for chunk in _chunks(ids):
            total += _count(*old_events(chunk, cutoff))
    return total


def expire(
    projects: Iterable[Project] | None = None,
    days: int | None = None,
    *,
    dry_run: bool = False,
    batch: int | None = None,
    tick: Callable[[int], None] | None = None,
) -> Summary:
    """Retention for every project (or the given ones), then give the space back."""
    now = timezone.now()
    if projects is None:
        projects = Project.objects.select_related("organization").order_by("id")
    summary = Summary()
    for project in projects:
        summary.add(expire_project(project, now, days, dry_run=dry_run, batch=batch, tick=tick))
    if (summary.events or summary.others) and not dry_run:
        shrink()
    return summary


def lifecycle_tables() -> list[str]:
    """The tables a retention pass deletes from, other apps' included."""
    models = (Event, IssueHourlyCount, IssueTag, Issue)
    return [m._meta.db_table for m in models] + [r.table for r in _others]


def shrink(pages: int = 0) -> None:
    """Give the deleted rows' space back (events/space.py)."""
    space.shrink(lifecycle_tables(), pages)


def _after_commit_purge() -> None:
    from events import tasks  # tasks imports this module

    transaction.on_commit(lambda: tasks.purge_deleted.delay())


def forget_issues(issue_ids: list[int]) -> int:
    """Delete issues now (with their tag and hourly counts and activity), their events in
    the background: what the dashboard and the API call. How many issues went."""
    with transaction.atomic():
        ids = list(Issue.objects.filter(pk__in=issue_ids).values_list("pk", flat=True))
        Issue.objects.filter(pk__in=ids).delete()  # on_deleted records the events to go
        _after_commit_purge()
    return len(ids)


def forget_project(project: Project) -> None:
    """Delete a project now (issues, keys, rules, counts), its events in the background."""
    with transaction.atomic():
        for chunk in _chunks(list(project.issues.order_by("pk").values_list("pk", flat=True))):
            Issue.objects.filter(pk__in=chunk).delete()
        project.delete()
        _after_commit_purge()


def on_deleted(sender, instance, **kwargs) -> None:
    """pre_delete of an issue or a project, however deleted: its events are recorded to go.
    The functions above ask for the task at once; after a deletion elsewhere (the admin, an
    organization's) the hourly retention run purges them."""
    kind = PendingDeletion.Kind.ISSUE if sender is Issue else PendingDeletion.Kind.PROJECT
    PendingDeletion.objects.create(kind=kind, object_id=instance.pk)


def purge_deleted(batch: int | None = None, tick=None) -> int:
    """The events of deleted issues and projects, in batches; how many went."""
    batch = batch or settings.CLEANUP_BATCH_SIZE
    tick = tick or (lambda n: None)
    total = 0
    # Projects first: their issues' rows then find nothing left.
    for pending in PendingDeletion.objects.order_by("-kind", "pk"):
        column = "issue_id" if pending.kind == PendingDeletion.Kind.ISSUE else "project_id"
        while True:
            started = time.monotonic()
            with transaction.atomic():
                with connection.cursor() as cur:
                    table = Event._meta.db_table
                    cur.execute(
                        f"DELETE FROM {table} WHERE id IN"
                        f" (SELECT id FROM {table} WHERE {column} = %s LIMIT %s)",
                        [pending.object_id, batch],
                    )
                    n = cur.rowcount
            total += n
            tick(n)
            if n < batch:
                break
            _rest(time.monotonic() - started)
        pending.delete()
    if total:
        shrink()
    return total
