"""Beat's pass with frozen and moved time (time-machine): missed check-ins, timeouts, the
monitor's issue through the real write path (signals, rules), recovery and mute."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from events import signals
from events.models import Activity, Issue
from monitors import beat
from monitors.models import CheckIn, Monitor
from tests.support.factories import ProjectFactory

from .helpers import config, send

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 58, tzinfo=UTC)  # a Monday


@pytest.fixture
def hourly(client, key, ingest_queue):
    """A monitor due at the top of each hour (Vienna), 5 minutes margin, 30 minutes runtime."""
    with time_machine.travel(START, tick=False):
        send(client, key, {"monitor_slug": "hourly", "status": "ok",
                           "monitor_config": config(failure_issue_threshold=1,
                                                    recovery_threshold=2)})  # fmt: skip
    return Monitor.objects.get(slug="hourly")


def test_nothing_is_due_before_the_margin_passes(hourly):
    assert hourly.next_expected == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert hourly.deadline == datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 3, 2, 10, 4, 59, tzinfo=UTC), tick=False):
        assert beat.run_pass().missed == 0
    assert not Issue.objects.exists()


def test_missed_checkin_opens_the_issue_and_sends_the_signal(hourly):
    created = []

    def on_created(sender, issue_id, project_id, **kwargs):
        created.append(issue_id)

    signals.issue_created.connect(on_created, dispatch_uid="test-monitor-created")
    try:
        with time_machine.travel(datetime(2026, 3, 2, 10, 5, 1, tzinfo=UTC), tick=False):
            assert beat.run_pass().missed == 1
            assert beat.run_pass().missed == 0  # recorded once
    finally:
        signals.issue_created.disconnect(dispatch_uid="test-monitor-created")
    missed = CheckIn.objects.get(monitor=hourly, status="missed")
    assert missed.expected == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    issue = Issue.objects.get()
    assert issue.title == "Monitor failure: hourly: missed check-in"
    assert created == [issue.id]
    hourly.refresh_from_db()
    assert hourly.issue_id == issue.id and hourly.last_status == "missed"
    assert hourly.next_expected == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def test_recovery_threshold_resolves_and_the_next_failure_reopens(client, key, hourly):
    with time_machine.travel(datetime(2026, 3, 2, 10, 6, tzinfo=UTC), tick=False):
        beat.run_pass()
    issue = Issue.objects.get()
    with time_machine.travel(datetime(2026, 3, 2, 11, 0, tzinfo=UTC), tick=False):
        send(client, key, {"monitor_slug": "hourly", "status": "ok"})
    issue.refresh_from_db()
    assert issue.status == "unresolved"  # one OK of two
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), tick=False):
        send(client, key, {"monitor_slug": "hourly", "status": "ok"})
    issue.refresh_from_db()
    assert issue.status == "resolved"
    assert Activity.objects.get(issue=issue).kind == "resolved"
    with time_machine.travel(datetime(2026, 3, 2, 13, 0, tzinfo=UTC), tick=False):
        send(client, key, {"monitor_slug": "hourly", "status": "error"})
    issue.refresh_from_db()
    assert issue.status == "unresolved" and issue.regressed and issue.times_seen == 2
    assert Issue.objects.count() == 1


def test_timeout_when_in_progress_past_max_runtime(client, key, hourly):
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        send(client, key, {"monitor_slug": "hourly", "status": "in_progress",
                           "check_in_id": "a" * 32})  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 2, 10, 29, 59, tzinfo=UTC), tick=False):
        assert beat.run_pass().timeouts == 0
    with time_machine.travel(datetime(2026, 3, 2, 10, 30, 1, tzinfo=UTC), tick=False):
        assert beat.run_pass().timeouts == 1
    checkin = CheckIn.objects.get(check_in_id="a" * 32)
    assert checkin.status == "timeout"
    assert (
        Issue.objects.get().title == "Monitor failure: hourly: timed out (ran past its max runtime)"
    )
    # The run ends late: the check-in keeps its timeout and notes the duration.
    with time_machine.travel(datetime(2026, 3, 2, 10, 40, tzinfo=UTC), tick=False):
        send(client, key, {"monitor_slug": "hourly", "status": "ok", "check_in_id": "a" * 32,
                           "duration": 2400.0})  # fmt: skip
    checkin.refresh_from_db()
    assert checkin.status == "timeout" and checkin.duration == 2400.0


def test_closing_checkin_in_time_is_no_timeout(client, key, hourly):
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        send(client, key, {"monitor_slug": "hourly", "status": "in_progress",
                           "check_in_id": "b" * 32})  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 2, 10, 10, tzinfo=UTC), tick=False):
        send(client, key, {"monitor_slug": "hourly", "status": "ok", "check_in_id": "b" * 32})
    with time_machine.travel(datetime(2026, 3, 2, 10, 45, tzinfo=UTC), tick=False):
        assert beat.run_pass().timeouts == 0
    checkin = CheckIn.objects.get(check_in_id="b" * 32)
    assert checkin.status == "ok" and checkin.duration == 600.0
    assert not Issue.objects.exists()


def test_muted_monitor_records_but_raises_no_issue(hourly):
    Monitor.objects.filter(pk=hourly.pk).update(muted=True)
    with time_machine.travel(datetime(2026, 3, 2, 10, 6, tzinfo=UTC), tick=False):
        assert beat.run_pass().missed == 1
    assert CheckIn.objects.filter(monitor=hourly, status="missed").count() == 1
    assert not Issue.objects.exists()


def test_failure_threshold_waits_for_consecutive_misses(client, key, ingest_queue):
    with time_machine.travel(START, tick=False):
        send(client, key, {"monitor_slug": "m3", "status": "ok", "monitor_config": config(
            schedule={"type": "interval", "value": 10, "unit": "minute"}, checkin_margin=1,
            failure_issue_threshold=3)})  # fmt: skip
    moment = START
    counts = []
    for _ in range(4):
        moment += timedelta(minutes=11)
        with time_machine.travel(moment, tick=False):
            beat.run_pass()
        counts.append(Issue.objects.count())
    assert counts == [0, 0, 1, 1]
    assert CheckIn.objects.filter(status="missed").count() == 4
    assert Issue.objects.get().times_seen == 2


def test_monitor_without_schedule_is_never_missed(client, key, ingest_queue):
    with time_machine.travel(START, tick=False):
        send(client, key, {"monitor_slug": "loose", "status": "ok"})
    with time_machine.travel(START + timedelta(days=30), tick=False):
        assert beat.run_pass().missed == 0


def test_crontab_runs_in_the_monitors_timezone(client, key, ingest_queue):
    """09:00 in Vienna is 08:00 UTC in winter (CET)."""
    with time_machine.travel(datetime(2026, 1, 5, 6, 0, tzinfo=UTC), tick=False):
        send(client, key, {"monitor_slug": "tz", "status": "ok", "monitor_config": config(
            schedule={"type": "crontab", "value": "0 9 * * *"})})  # fmt: skip
    assert Monitor.objects.get(slug="tz").next_expected == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def test_another_projects_monitor_of_the_same_slug_is_separate(client, key, ingest_queue):
    other = ProjectFactory().keys.get()
    send(client, key, {"monitor_slug": "same", "status": "error"})
    send(client, other, {"monitor_slug": "same", "status": "ok"})
    assert Monitor.objects.filter(slug="same").count() == 2
    assert Issue.objects.get().project_id == key.project_id
