"""Beat's pass, once a minute: missed check-ins (nothing by the expected time plus margin)
and timeouts (in progress past the max runtime).

Finding them is one indexed range query each (`Monitor.deadline`, `CheckIn.timeout_at`)
that reads only what is due, so a pass costs the same with ten monitors or ten thousand
when few are late. What it finds is handled in one transaction: the monitors locked (in the
order the worker locks them: project, slug) and checked again, since a check-in may have
arrived meanwhile; all failure events stored in one batch write; the issue signals sent
after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction

from events import synthetic
from events.processing import bulk

from . import checkins, failures
from .models import CheckIn, Monitor, Status

BATCH = 2000  # due monitors and late check-ins per pass at most; the rest are next minute's
# What a pass changes on a monitor, with column types (events.processing.bulk.update_by_id:
# one statement, where Django's bulk_update builds a CASE per field and row).
_SAVED = {"failures": "bigint", "oks": "bigint", "failing": "boolean", "last_status": "text",
          "next_expected": "timestamptz", "deadline": "timestamptz", "issue_id": "bigint"}  # fmt: skip


@dataclass
class PassResult:
    missed: int = 0
    timeouts: int = 0


def _timeouts(late: list[int], monitors: dict[int, Monitor], raised, now, result) -> None:
    timed_out = CheckIn.objects.filter(pk__in=late, status=Status.IN_PROGRESS, timeout_at__lte=now)
    rows = list(timed_out.values_list("pk", "monitor_id"))
    CheckIn.objects.filter(pk__in=[pk for pk, _ in rows]).update(
        status=Status.TIMEOUT, timeout_at=None, updated=now
    )
    for _pk, monitor_id in rows:
        monitor = monitors.get(monitor_id)
        if monitor is None:  # deleted meanwhile
            continue
        monitor.last_status = Status.TIMEOUT
        checkins.record_finished(monitor, Status.TIMEOUT, raised)
        result.timeouts += 1


def _missed(due: set[int], monitors: dict[int, Monitor], raised, now, result) -> None:
    rows = []
    for monitor in monitors.values():
        if monitor.pk not in due or monitor.deadline is None or monitor.deadline > now:
            continue
        expected = monitor.next_expected
        rows.append(CheckIn(monitor=monitor, check_in_id="", status=Status.MISSED, received=now,
                            updated=now, expected=expected))  # fmt: skip
        monitor.last_status = Status.MISSED
        # The slot after the missed one; if that is already late too, the next from now.
        checkins.schedule_from(monitor, expected or now)
        if monitor.deadline is not None and monitor.deadline <= now:
            checkins.schedule_from(monitor, now)
        checkins.record_finished(monitor, Status.MISSED, raised)
        result.missed += 1
    CheckIn.objects.bulk_create(rows)


def run_pass(now: datetime | None = None) -> PassResult:
    now = now or datetime.now(UTC)
    result = PassResult()
    due = set(
        Monitor.objects.filter(deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", flat=True)[:BATCH]
    )
    late = dict(
        CheckIn.objects.filter(timeout_at__lte=now)
        .order_by("timeout_at")
        .values_list("pk", "monitor_id")[:BATCH]
    )
    if not due and not late:
        return result
    raised = failures.Failures()
    with transaction.atomic():
        locked = Monitor.objects.select_for_update().filter(pk__in=due | set(late.values()))
        monitors = {m.pk: m for m in locked.order_by("project_id", "slug")}
        _timeouts(list(late), monitors, raised, now, result)
        _missed(due, monitors, raised, now, result)
        outcomes = raised.store()
        bulk.update_by_id(
            Monitor._meta.db_table, _SAVED,
            [(m.pk, *(getattr(m, name) for name in _SAVED)) for m in monitors.values()],
        )  # fmt: skip
    synthetic.emit(outcomes)
    return result
