"""Beat's pass, once a minute: missed check-ins (nothing by the expected time plus margin)
and timeouts (in progress past the max runtime).

Each is one indexed range query (`Monitor.deadline`, `CheckIn.timeout_at`) that finds only
what is due, so the pass costs the same with ten monitors or ten thousand when few are late.
Each due monitor is handled in a transaction of its own, locked, and checked again (a
check-in may have arrived meanwhile); the issue signals go out after its commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction

from events import synthetic

from . import checkins
from .models import CheckIn, Monitor, Status

log = logging.getLogger(__name__)
BATCH = 1000  # due monitors per pass at most; the rest are next minute's


@dataclass
class PassResult:
    missed: int = 0
    timeouts: int = 0


def _missed(monitor_id: int, now: datetime) -> bool:
    with transaction.atomic():
        monitor = Monitor.objects.select_for_update().filter(pk=monitor_id).first()
        if monitor is None or monitor.deadline is None or monitor.deadline > now:
            return False
        expected = monitor.next_expected
        CheckIn.objects.create(
            monitor=monitor, check_in_id="", status=Status.MISSED, received=now, updated=now,
            expected=expected,
        )  # fmt: skip
        monitor.last_status = Status.MISSED
        # The next slot after the missed one; if that is already late too, the next from now.
        checkins.schedule_from(monitor, expected or now)
        if monitor.deadline is not None and monitor.deadline <= now:
            checkins.schedule_from(monitor, now)
        outcomes = checkins.record_finished(monitor, Status.MISSED, now)
        monitor.save()
    synthetic.emit(outcomes)
    return True


def _timed_out(checkin_id: int, now: datetime) -> bool:
    with transaction.atomic():
        checkin = CheckIn.objects.filter(pk=checkin_id).select_related("monitor").first()
        if checkin is None:
            return False
        monitor = Monitor.objects.select_for_update().get(pk=checkin.monitor_id)
        checkin.refresh_from_db()  # after the lock: the closing check-in may have come
        if checkin.status != Status.IN_PROGRESS or checkin.timeout_at is None:
            return False
        if checkin.timeout_at > now:
            return False
        CheckIn.objects.filter(pk=checkin.pk).update(
            status=Status.TIMEOUT, timeout_at=None, updated=now
        )
        monitor.last_status = Status.TIMEOUT
        outcomes = checkins.record_finished(monitor, Status.TIMEOUT, now)
        monitor.save()
    synthetic.emit(outcomes)
    return True


def run_pass(now: datetime | None = None) -> PassResult:
    now = now or datetime.now(UTC)
    result = PassResult()
    due = list(
        Monitor.objects.filter(deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", flat=True)[:BATCH]
    )
    for monitor_id in due:
        try:
            result.missed += _missed(monitor_id, now)
        except Exception:  # one monitor's bug must not stop the others' checks
            log.exception("missed check of monitor %s failed", monitor_id)
    late = list(
        CheckIn.objects.filter(timeout_at__lte=now)
        .order_by("timeout_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    for checkin_id in late:
        try:
            result.timeouts += _timed_out(checkin_id, now)
        except Exception:
            log.exception("timeout check of check-in %s failed", checkin_id)
    return result
