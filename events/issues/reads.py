"""The dashboard's reads: each a fixed number of queries whatever the data size.

Views call these with querysets already narrowed by `projects.access`; nothing here checks
permissions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, F, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from events.models import Event, Issue, IssueHourlyCount, IssueTag

from . import charts, search
from .pagination import Page, paginate, row_compare

SORTS = {  # name -> (field, descending, label)
    "last_seen": ("last_seen", True, "Last seen"),
    "first_seen": ("first_seen", False, "First seen (oldest first)"),
    "new": ("first_seen", True, "New (newest first)"),
    "events": ("times_seen", True, "Events"),
}
RANGES = {"1h": 1, "24h": 24, "7d": 7 * 24, "14d": 14 * 24, "30d": 30 * 24}
ISSUES_PER_PAGE = 50
EVENTS_PER_PAGE = 50
FACET_VALUES = 5
SPARK_HOURS = 24


def list_issues(
    issues: QuerySet, query: search.IssueQuery, *, sort: str, since: str, cursor: str, user_id: int
) -> Page:
    """One page of issues (one query), filtered by the parsed query."""
    vendor = connection.vendor
    qs = issues.filter(search.issue_filter(query, vendor=vendor, user_id=user_id))
    if query.status is None and query.short_id is None:  # a short id's filter has its own
        qs = qs.filter(status=Issue.Status.UNRESOLVED)
    if since in RANGES:
        qs = qs.filter(last_seen__gte=timezone.now() - timedelta(hours=RANGES[since]))
    field, descending, _label = SORTS.get(sort, SORTS["last_seen"])
    qs = qs.select_related("project__organization", "assignee").defer("metadata")
    return paginate(qs, key=field, descending=descending, cursor=cursor, size=ISSUES_PER_PAGE)


def decorate_issues(issues: list[Issue], *, now: datetime) -> None:
    """Sparkline of the last 24 h and users affected, for a page of issues (two queries)."""
    ids = [i.pk for i in issues]
    start = charts.floor_hour(now) - timedelta(hours=SPARK_HOURS - 1)
    hours: dict[int, dict] = defaultdict(dict)
    for issue_id, hour, count in IssueHourlyCount.objects.filter(
        issue_id__in=ids, hour__gte=start
    ).values_list("issue_id", "hour", "count"):
        hours[issue_id][hour] = count
    users = dict(
        IssueTag.objects.filter(issue_id__in=ids, key="user")
        .values("issue_id")
        .annotate(n=Count("id"))
        .values_list("issue_id", "n")
    )
    for issue in issues:
        buckets = charts.hourly_buckets(hours[issue.pk], end=now, hours=SPARK_HOURS)
        issue.spark = charts.sparkline([c for _, c in buckets])
        issue.users_affected = users.get(issue.pk)


def project_summaries(projects: list, *, now: datetime) -> None:
    """Unresolved issues, events in the last 24 h and their chart, per project (two queries)."""
    ids = [p.pk for p in projects]
    unresolved = dict(
        Issue.objects.filter(project_id__in=ids, status=Issue.Status.UNRESOLVED)
        .values("project_id")
        .annotate(n=Count("id"))
        .values_list("project_id", "n")
    )
    start = charts.floor_hour(now) - timedelta(hours=23)
    hours: dict[int, dict] = defaultdict(dict)
    for project_id, hour, count in (
        IssueHourlyCount.objects.filter(project_id__in=ids, hour__gte=start)
        .values("project_id", "hour")
        .annotate(n=Sum("count"))
        .values_list("project_id", "hour", "n")
    ):
        hours[project_id][hour] = count
    for project in projects:
        buckets = charts.hourly_buckets(hours[project.pk], end=now, hours=24)
        project.unresolved = unresolved.get(project.pk, 0)
        project.events_24h = sum(c for _, c in buckets)
        project.chart = charts.bar_chart(buckets, width=240, height=40)


def event_chart(issue: Issue, *, span: str, now: datetime) -> charts.BarChart:
    """Events over the last 24 hours (hourly bars) or 30 days (daily bars): one query."""
    hours = 24 if span == "24h" else 30 * 24
    start = charts.floor_hour(now) - timedelta(hours=hours - 1)
    counts = dict(
        IssueHourlyCount.objects.filter(issue=issue, hour__gte=start).values_list("hour", "count")
    )
    if span == "24h":
        return charts.bar_chart(charts.hourly_buckets(counts, end=now, hours=24))
    return charts.bar_chart(charts.daily_buckets(counts, end=now, days=30))


def tag_facets(issue: Issue) -> list[dict]:
    """Per tag key, the top values with their share of the key's events: one query."""
    rows = (
        IssueTag.objects.filter(issue=issue)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("key")], order_by=[F("count").desc(), F("value").asc()]
            ),
            total=Window(Sum("count"), partition_by=[F("key")]),
            distinct=Window(Count("id"), partition_by=[F("key")]),
        )
        .filter(rank__lte=FACET_VALUES)
        .order_by("key", "rank")
        .values_list("key", "value", "count", "total", "distinct")
    )
    facets: dict[str, dict] = {}
    for key, value, count, total, distinct in rows:
        facet = facets.setdefault(
            key, {"key": key, "total": total, "distinct": distinct, "values": []}
        )
        percent = round(100 * count / total) if total else 0
        facet["values"].append({"value": value, "count": count, "percent": percent})
    return sorted(facets.values(), key=lambda f: (f["key"] not in _FIRST_FACETS, f["key"]))


_FIRST_FACETS = {"level", "environment", "release", "user", "browser", "os", "url"}


def event_neighbours(issue: Issue, event: Event) -> dict:
    """Event ids of the newer, older, latest and oldest events around `event` (4 queries)."""
    events = Event.objects.filter(issue=issue)
    ts = connection.ops.adapt_datetimefield_value(event.timestamp)
    ids = events.values_list("event_id", flat=True)
    return {
        "newer": ids.filter(row_compare(Event, "timestamp", ">", ts, event.pk)).order_by("timestamp", "id").first(),
        "older": ids.filter(row_compare(Event, "timestamp", "<", ts, event.pk)).order_by("-timestamp", "-id").first(),
        "latest": ids.order_by("-timestamp", "-id").first(),
        "oldest": ids.order_by("timestamp", "id").first(),
    }  # fmt: skip


def list_events(issue: Issue, cursor: str) -> Page:
    qs = Event.objects.filter(issue=issue).only(
        "event_id", "timestamp", "level", "release", "environment", "message"
    )
    return paginate(qs, key="timestamp", descending=True, cursor=cursor, size=EVENTS_PER_PAGE)
