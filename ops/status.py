"""What the status page shows, read in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.models import Delivery
from events.issues import charts
from events.models import FailedPayload

from . import checks, collect
from .models import PipelineSample

MINUTES = 60
NEWEST = 20


@dataclass
class Rate:
    name: str
    total: float
    per_second: float | None  # None: fewer than two samples yet


def minute_buckets(samples, now: datetime, value) -> list[tuple[datetime, int]]:
    """One bucket per minute of the last hour: the newest sample in it (0 when none)."""
    end = now.replace(second=0, microsecond=0)
    start = end - timedelta(minutes=MINUTES - 1)
    by_minute: dict[datetime, int] = {}
    for sample in sorted(samples, key=lambda s: s.taken):
        minute = sample.taken.replace(second=0, microsecond=0)
        if minute >= start:
            by_minute[minute] = int(value(sample) or 0)
    return [
        (start + timedelta(minutes=i), by_minute.get(start + timedelta(minutes=i), 0))
        for i in range(MINUTES)
    ]


def rates(newest: dict, older: dict | None, seconds: float) -> list[Rate]:
    out = []
    for name in sorted(newest):
        per_second = None
        if older is not None and seconds > 0:
            # A counter that went down was reset (the metrics folder was cleared): no rate.
            delta = newest[name] - older.get(name, 0)
            per_second = round(delta / seconds, 2) if delta >= 0 else None
        out.append(Rate(name, newest[name], per_second))
    return out


def page(now: datetime) -> dict:
    state = collect.pipeline()
    samples = list(PipelineSample.objects.filter(taken__gte=now - timedelta(minutes=MINUTES)))
    samples.sort(key=lambda s: s.taken)
    newest = samples[-1] if samples else None
    # The rate over the last five minutes (or whatever the samples span).
    older = next((s for s in samples if s.taken >= now - timedelta(minutes=5)), None)
    if older is newest:
        older = samples[-2] if len(samples) > 1 else None
    seconds = (newest.taken - older.taken).total_seconds() if newest and older else 0
    return {
        "state": state,
        "heartbeats": checks.heartbeats(),
        "depth_chart": charts.bar_chart(minute_buckets(samples, now, lambda s: s.depth), height=80),
        "lag_chart": charts.bar_chart(
            minute_buckets(samples, now, lambda s: s.oldest_age), height=80
        ),
        "received": rates(newest.received, older.received if older else None, seconds)
        if newest
        else [],
        "refused": rates(newest.refused, older.refused if older else None, seconds)
        if newest
        else [],
        "sampled": newest.taken if newest else None,
        "failed": list(FailedPayload.objects.defer("meta", "body").order_by("-id")[:NEWEST]),
        "failed_count": FailedPayload.objects.count(),
        "deliveries": list(
            Delivery.objects.filter(status=Delivery.Status.FAILED)
            .select_related("project")
            .order_by("-id")[:NEWEST]
        ),
    }
