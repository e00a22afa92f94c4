"""Reading the hourly outcome counts: time series grouped by outcome, reason, category or
project, for the stats page and the API's stats_v2 (Sentry's response shape)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Sum

from .models import OutcomeCount

GROUP_BY = ("outcome", "reason", "category", "project")
FIELDS = ("sum(quantity)", "sum(times_seen)")  # times_seen = quantity: we count items
MAX_PERIOD = timedelta(days=90)
MAX_BUCKETS = 2200  # 90 days of hours and a little
_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNIT = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class StatsError(ValueError):
    """A query the API answers with 400 and this message."""


def parse_duration(text: str, what: str) -> timedelta:
    match = _DURATION.match(text or "")
    if not match:
        raise StatsError(f"{what} must be a number and a unit (m, h, d, w), like 24h or 14d")
    return timedelta(seconds=int(match.group(1)) * _UNIT[match.group(2)])


def parse_time(text: str, what: str) -> datetime:
    try:
        if re.fullmatch(r"\d{1,12}(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise StatsError(f"{what} is not an ISO 8601 datetime or epoch seconds") from None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not 1970 <= value.year <= 9000:
        raise StatsError(f"{what} is out of range")
    return value


@dataclass
class Query:
    start: datetime
    end: datetime
    interval: timedelta
    group_by: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    project_ids: tuple[int, ...] = field(default_factory=tuple)

    @classmethod
    def build(cls, *, period=None, start=None, end=None, interval="1h", **rest) -> Query:
        """Buckets aligned to the interval (hours at least, a day at most, dividing a day);
        the range rounded out to whole buckets, at most 90 days."""
        step = parse_duration(interval or "1h", "interval")
        if step < timedelta(hours=1) or step > timedelta(days=1) or 86400 % step.total_seconds():
            raise StatsError("interval must be at least 1h, at most 1d, and divide a day")
        if period and (start or end):
            raise StatsError("give statsPeriod, or start and end, not both")
        if start or end:
            if not (start and end):
                raise StatsError("start and end go together")
            begin, finish = parse_time(start, "start"), parse_time(end, "end")
        else:
            span = parse_duration(period or "24h", "statsPeriod")
            if span > MAX_PERIOD + step:
                raise StatsError("at most 90 days")
            finish = datetime.now(UTC)
            begin = finish - span
        if finish <= begin:
            raise StatsError("end must be after start")
        if finish - begin > MAX_PERIOD + step:
            raise StatsError("at most 90 days")
        seconds = int(step.total_seconds())
        first = int(begin.timestamp()) // seconds * seconds
        last = -(-int(finish.timestamp()) // seconds) * seconds
        return cls(
            start=datetime.fromtimestamp(first, UTC),
            end=datetime.fromtimestamp(max(last, first + seconds), UTC),
            interval=step,
            **rest,
        )

    @property
    def intervals(self) -> list[datetime]:
        steps = int((self.end - self.start) / self.interval)
        return [self.start + i * self.interval for i in range(min(steps, MAX_BUCKETS))]


def run(query: Query, project_ids, field_name: str = "sum(quantity)") -> dict:
    """Sentry's shape: {start, end, intervals, groups: [{by, totals, series}]}, one group
    per combination of the group_by values that has counts (one group when not grouped)."""
    rows = OutcomeCount.objects.filter(
        project_id__in=project_ids, hour__gte=query.start, hour__lt=query.end
    )
    if query.outcomes:
        rows = rows.filter(outcome__in=query.outcomes)
    if query.categories:
        rows = rows.filter(category__in=query.categories)
    if query.reasons:
        rows = rows.filter(reason__in=query.reasons)
    columns = ["project_id" if g == "project" else g for g in query.group_by]
    intervals = query.intervals
    step = query.interval.total_seconds()
    groups: dict[tuple, list[int]] = {}
    for row in rows.values("hour", *columns).annotate(n=Sum("quantity")).order_by():
        index = int((row["hour"] - query.start).total_seconds() // step)
        if not 0 <= index < len(intervals):
            continue
        key = tuple(row[c] for c in columns)
        groups.setdefault(key, [0] * len(intervals))[index] += row["n"]
    if not groups and not columns:
        groups[()] = [0] * len(intervals)
    result = []
    for key in sorted(groups, key=lambda k: tuple(str(v) for v in k)):
        series = groups[key]
        by = dict(zip(query.group_by, key, strict=True))
        result.append(
            {"by": by, "totals": {field_name: sum(series)}, "series": {field_name: series}}
        )
    return {
        "start": _iso(query.start),
        "end": _iso(query.end),
        "intervals": [_iso(t) for t in intervals],
        "groups": result,
    }


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
