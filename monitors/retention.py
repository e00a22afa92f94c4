"""Check-ins age out with their project's events: the same retention days, batches and pace
(events/lifecycle.py), by the hourly beat run and `manage.py cleanup`. A check-in still in
progress (it has a timeout pending) stays until it ends or times out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db import connection

from events import lifecycle
from projects.models import Project

from .models import CheckIn, Monitor

MONITOR_CHUNK = 200  # monitors per statement


def old_checkins(project: Project, cutoff: datetime) -> Iterator[tuple[str, list]]:
    """WHERE clauses for a project's check-ins received before the cutoff, through the
    (monitor, received) index."""
    ids = list(Monitor.objects.filter(project=project).order_by("id").values_list("id", flat=True))
    when = connection.ops.adapt_datetimefield_value(cutoff)
    for start in range(0, len(ids), MONITOR_CHUNK):
        chunk = ids[start : start + MONITOR_CHUNK]
        marks = ", ".join(["%s"] * len(chunk))
        yield (
            f"monitor_id IN ({marks}) AND received < %s AND timeout_at IS NULL",
            [*chunk, when],
        )


def register() -> None:
    lifecycle.also_expire("check-ins", CheckIn._meta.db_table, old_checkins)
