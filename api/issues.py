"""The API's issue reads: list parameters -> one keyset page, and the per-page extras
(users affected, event counts over time). Built from the dashboard's parts: the query
language (`events.issues.search`) and keyset pagination (`events.issues.pagination`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone

from events.issues import charts, search
from events.issues.pagination import Page, paginate
from events.models import Issue, IssueHourlyCount, IssueTag

from . import cursors

# Sentry's sort names (and the dashboard's) -> (field, descending).
SORTS = {
    "date": ("last_seen", True),
    "last_seen": ("last_seen", True),
    "new": ("first_seen", True),
    "first_seen": ("first_seen", False),
    "freq": ("times_seen", True),
    "events": ("times_seen", True),
}
STATS_PERIODS = ("", "24h", "14d")
# Time filters of the organization issue list (Sentry's statsPeriod there), in hours.
PERIOD_HOURS = {"1h": 1, "24h": 24, "7d": 7 * 24, "14d": 14 * 24, "30d": 30 * 24, "90d": 90 * 24}
MAX_LIMIT = 100
DEFAULT_QUERY = "is:unresolved"


class BadParameter(ValueError):
    pass


@dataclass(frozen=True)
class ListParams:
    query: search.IssueQuery
    sort: str = "date"
    cursor: str | None = None  # in events.issues.pagination form
    limit: int = MAX_LIMIT
    stats_period: str = "24h"
    since_hours: int | None = None


def parse_list_params(get, *, period_filters: bool = False) -> ListParams:
    """Query parameters of an issue list -> ListParams; BadParameter with a message.

    Without `query` Sentry lists unresolved issues; `query=` (empty) lists all of them."""
    text = get.get("query")
    query = search.parse(DEFAULT_QUERY if text is None else text[:1000])
    if query.status is None and text is not None:
        query = replace(query, status="all")
    if environment := get.get("environment"):
        query = query.with_filters(environment=environment[:64])
    sort = get.get("sort") or "date"
    if sort not in SORTS:
        raise BadParameter(f"Unsupported sort {sort!r}: use one of {', '.join(SORTS)}.")
    try:
        limit = int(get.get("limit") or MAX_LIMIT)
    except ValueError:
        raise BadParameter("limit must be an integer.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadParameter(f"limit must be between 1 and {MAX_LIMIT}.")
    stats_period, since = get.get("statsPeriod", "24h"), None
    if period_filters:
        # On the organization list statsPeriod is the time range (Sentry's default: 14 days),
        # groupStatsPeriod the series.
        stats_period = get.get("statsPeriod", "14d")
        if stats_period:
            if stats_period not in PERIOD_HOURS:
                raise BadParameter(f"statsPeriod must be one of {', '.join(PERIOD_HOURS)}.")
            since = PERIOD_HOURS[stats_period]
        stats_period = get.get("groupStatsPeriod", "24h")
        if stats_period == "auto":
            stats_period = "24h"
    if stats_period not in STATS_PERIODS:
        raise BadParameter("The stats period must be one of '', '24h', '14d'.")
    field = SORTS[sort][0]
    try:
        cursor = cursors.to_internal(get.get("cursor"), is_datetime=field != "times_seen")
    except cursors.BadCursor as exc:
        raise BadParameter(str(exc)) from None
    return ListParams(query, sort, cursor, limit, stats_period, since)


def list_issues(issues: QuerySet, params: ListParams, *, user_id: int) -> Page:
    """One page of issues in one query."""
    qs = issues.filter(search.issue_filter(params.query, vendor=connection.vendor, user_id=user_id))
    if params.since_hours:
        qs = qs.filter(last_seen__gte=timezone.now() - timedelta(hours=params.since_hours))
    field, descending = SORTS[params.sort]
    qs = qs.select_related("project", "assignee")
    return paginate(qs, key=field, descending=descending, cursor=params.cursor, size=params.limit)


def user_counts(issue_ids: list[int]) -> dict[int, int]:
    """Distinct users seen per issue (their `user` tag values): one query."""
    return dict(
        IssueTag.objects.filter(issue_id__in=issue_ids, key="user")
        .values("issue_id")
        .annotate(n=Count("id"))
        .values_list("issue_id", "n")
    )


def stats(issue_ids: list[int], period: str, *, now: datetime) -> dict[int, list[list[int]]]:
    """[[unix time, events]] per issue: 24 hourly or 14 daily buckets; one query."""
    if not period:
        return {}
    hours = 24 if period == "24h" else 14 * 24
    start = charts.floor_hour(now) - timedelta(hours=hours - 1)
    counts: dict[int, dict] = defaultdict(dict)
    for issue_id, hour, count in IssueHourlyCount.objects.filter(
        issue_id__in=issue_ids, hour__gte=start
    ).values_list("issue_id", "hour", "count"):
        counts[issue_id][hour] = count
    series = {}
    for issue_id in issue_ids:
        if period == "24h":
            buckets = charts.hourly_buckets(counts[issue_id], end=now, hours=24)
        else:
            buckets = charts.daily_buckets(counts[issue_id], end=now, days=14)
        series[issue_id] = [[int(start.timestamp()), n] for start, n in buckets]
    return series


def decorate(issues: list[Issue], stats_period: str, *, now: datetime | None = None) -> None:
    """Set `user_count` and `stats` on each issue of a page (two queries)."""
    now = now or timezone.now()
    ids = [i.pk for i in issues]
    users = user_counts(ids)
    series = stats(ids, stats_period, now=now)
    for issue in issues:
        issue.user_count = users.get(issue.pk, 0)
        issue.stats = {stats_period: series[issue.pk]} if stats_period else {}
