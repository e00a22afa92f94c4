"""Applying check-ins: find or make the monitor (its config upserted), record the check-in,
move its schedule and health on, and raise or resolve its issue (monitors/failures.py).

Runs in the worker for check_in envelope items (handle_items, inside the batch transaction)
and in the web process for the plain HTTP check-in URL (monitors/http.py).
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import orjson

from events.items import RoutedItem
from events.models import FailedPayload
from events.wire.refusal import Refusal

from . import checkin_wire, failures, health, schedule
from .models import CheckIn, Monitor, Status

log = logging.getLogger(__name__)


def _apply_config(monitor: Monitor, config: schedule.Config) -> None:
    for name, value in asdict(config).items():
        setattr(monitor, name, value)
    if config.schedule_type == "crontab":
        monitor.interval_value, monitor.interval_unit = None, ""
    else:
        monitor.crontab = ""


def monitor_for(project_id: int, data: checkin_wire.CheckInData) -> Monitor:
    """The monitor of a check-in, made if new (without config: "needs schedule"), with its
    config updated when the check-in carries one. Locked for the rest of the transaction."""
    monitor = (
        Monitor.objects.select_for_update().filter(project_id=project_id, slug=data.slug).first()
    )
    if monitor is None:
        Monitor.objects.bulk_create(
            [Monitor(project_id=project_id, slug=data.slug, name=data.slug)],
            ignore_conflicts=True,  # a concurrent first check-in made it: use theirs
        )
        monitor = Monitor.objects.select_for_update().get(project_id=project_id, slug=data.slug)
    if data.config is not None:
        _apply_config(monitor, data.config)
    return monitor


def schedule_from(monitor: Monitor, after: datetime) -> None:
    """The next expected check-in after `after`, and the deadline beat checks."""
    expected = schedule.next_expected(
        monitor.schedule_type, monitor.crontab, monitor.interval_value, monitor.interval_unit,
        monitor.timezone, after,
    )  # fmt: skip
    monitor.next_expected = expected
    monitor.deadline = expected + timedelta(minutes=monitor.checkin_margin) if expected else None


def record_finished(monitor: Monitor, status: str, raised: failures.Failures) -> None:
    """A finished check-in's effect on the monitor's health; a failure to report is added
    to `raised`, a recovery resolves the issue."""
    ok = status == Status.OK
    state = health.Health(monitor.failures, monitor.oks, monitor.failing)
    state, action = health.step(state, ok, monitor.failure_threshold, monitor.recovery_threshold)
    monitor.failures, monitor.oks, monitor.failing = state.failures, state.oks, state.failing
    if action == health.RAISE:
        raised.add(monitor, failures.REASONS[status])
    elif action == health.RESOLVE:
        failures.resolve_issue(monitor)


def apply(project_id: int, data: checkin_wire.CheckInData, now: datetime | None = None) -> list:
    """Record one check-in; returns the store outcomes of issues it raised."""
    now = now or datetime.now(UTC)
    monitor = monitor_for(project_id, data)
    if data.id_given or data.status == Status.IN_PROGRESS:
        earlier = CheckIn.objects.filter(monitor=monitor, check_in_id=data.check_in_id)
    else:  # curl's ?status=ok after ?status=in_progress: the run it started
        earlier = CheckIn.objects.filter(monitor=monitor, status=Status.IN_PROGRESS)
    earlier = earlier.order_by("-received").first()
    outcomes: list = []
    if earlier is not None and earlier.status == Status.IN_PROGRESS:
        # The closing check-in of a run: the same row, finished now.
        earlier.status = data.status
        earlier.duration = data.duration if data.duration is not None else earlier.duration
        if data.duration is None and data.status != Status.IN_PROGRESS:
            earlier.duration = (now - earlier.received).total_seconds()
        earlier.updated = now
        earlier.timeout_at = None if data.status != Status.IN_PROGRESS else earlier.timeout_at
        earlier.save()
    elif earlier is not None and earlier.status == Status.TIMEOUT:
        # Closing a run that already timed out: keep the timeout, note how long it took.
        earlier.duration = data.duration
        earlier.updated = now
        earlier.save(update_fields=["duration", "updated"])
        monitor.save()
        return []
    else:
        timeout = None
        if data.status == Status.IN_PROGRESS:
            timeout = now + timedelta(minutes=monitor.max_runtime)
        CheckIn.objects.create(
            monitor=monitor, check_in_id=data.check_in_id, status=data.status,
            environment=data.environment, release=data.release, duration=data.duration,
            received=now, updated=now, timeout_at=timeout,
        )  # fmt: skip
    monitor.last_status = data.status
    monitor.last_checkin = now
    schedule_from(monitor, now)
    if data.status != Status.IN_PROGRESS:
        raised = failures.Failures()
        record_finished(monitor, data.status, raised)
        outcomes = raised.store()
    monitor.save()
    return outcomes


def _slug_of(payload: bytes) -> str:
    try:
        return str(orjson.loads(payload).get("monitor_slug"))
    except (orjson.JSONDecodeError, AttributeError):
        return ""


def handle_items(routed: list[RoutedItem]) -> list:
    """check_in envelope items from the worker's batch (events/items.py)."""
    outcomes = []
    # In project and slug order (stable: a run's check-ins keep theirs), as beat locks them.
    routed = sorted(routed, key=lambda item: (item.project_id, _slug_of(item.payload)))
    for item in routed:
        try:
            data = checkin_wire.parse(item.payload)
        except Refusal as exc:  # the edge checks them too: only an old queued payload
            FailedPayload.objects.create(
                project_id=item.project_id, reason=exc.detail, meta=b"", body=item.payload
            )
            continue
        outcomes += apply(item.project_id, data, datetime.fromtimestamp(item.received, UTC))
    return outcomes
