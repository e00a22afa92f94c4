"""Retention, the per-issue cap and cleanup on the real database, with the clock moved."""

import threading
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from events import lifecycle, space, tasks
from events.models import Event, Issue, IssueHourlyCount, IssueTag, PendingDeletion
from events.processing import prepare, store
from events.queue import QueuedPayload
from tests.support.factories import ProjectFactory
from tests.support.payloads import envelope, python_error

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _prepared(project, **kwargs):
    event = python_error(**kwargs)
    return prepare.prepare(
        QueuedPayload(
            project.id, event["event_id"], time.time(), "envelope", "", envelope(event), None
        )
    )


def _store(project, n=1, **kwargs):
    return store.store_batch([_prepared(project, **kwargs) for _ in range(n)])


def _exact(issue, aged_out=0):
    """The issue's counters against what is in the tables (`aged_out`: events counted in
    hourly buckets that retention has deleted)."""
    issue.refresh_from_db()
    assert issue.stored_count == Event.objects.filter(issue=issue).count()
    hourly = sum(IssueHourlyCount.objects.filter(issue=issue).values_list("count", flat=True))
    assert hourly == issue.times_seen - aged_out
    assert IssueTag.objects.get(issue=issue, key="level").count == issue.times_seen


def test_events_past_retention_go_and_an_issue_with_none_left_goes_with_its_counts():
    project = ProjectFactory(retention_days=3)
    with time_machine.travel(T0, tick=False) as clock:
        _store(project, 3, type_="ValueError")
        _store(project, 2, type_="KeyError")
        clock.move_to(T0 + timedelta(days=2))
        _store(project, 2, type_="ValueError")
        value_error = Issue.objects.get(project=project, title__startswith="ValueError")
        key_error = Issue.objects.get(project=project, title__startswith="KeyError")
        assert value_error.stored_count == 5

        clock.move_to(T0 + timedelta(days=2, hours=23))  # nothing is 3 days old yet
        assert lifecycle.expire([project]).events == 0

        clock.move_to(T0 + timedelta(days=3, hours=1))
        summary = lifecycle.expire([project])

    assert (summary.events, summary.issues) == (5, 1)
    assert not Issue.objects.filter(pk=key_error.pk).exists()
    assert not IssueTag.objects.filter(issue_id=key_error.pk).exists()
    assert not IssueHourlyCount.objects.filter(issue_id=key_error.pk).exists()
    value_error.refresh_from_db()
    assert (value_error.stored_count, value_error.times_seen) == (2, 5)
    assert Event.objects.filter(issue=value_error).count() == 2
    # Its hourly counts as far back as the retention: the chart ends there.
    hours = IssueHourlyCount.objects.filter(issue=value_error)
    assert [(h.hour, h.count) for h in hours] == [(T0 + timedelta(days=2), 2)]


def test_a_project_without_its_own_retention_takes_the_organizations():
    own = ProjectFactory(retention_days=10)
    inherits = ProjectFactory(organization=own.organization)
    own.organization.retention_days = 5
    own.organization.save()
    with time_machine.travel(T0, tick=False) as clock:
        _store(own, 2)
        _store(inherits, 2)
        clock.move_to(T0 + timedelta(days=6))
        lifecycle.expire()
    assert Event.objects.filter(project=own).count() == 2
    assert Event.objects.filter(project=inherits).count() == 0


def test_deletes_go_in_batches_of_the_given_size():
    project = ProjectFactory(retention_days=1)
    ticks = []
    with time_machine.travel(T0, tick=False) as clock:
        _store(project, 25)
        _store(project, 1, type_="KeyError")
        clock.move_to(T0 + timedelta(days=2))
        summary = lifecycle.expire_project(project, datetime.now(UTC), batch=10, tick=ticks.append)
    assert summary.events == 26
    assert max(ticks) == 10 and sum(ticks) == 26


def test_past_the_cap_counts_stay_exact_and_a_spread_sample_is_kept():
    project = ProjectFactory(events_per_issue=20)
    with time_machine.travel(T0, tick=False) as clock:
        first = _store(project, 1, value="the first")[0]
        for hour in range(1, 60):  # an hourly storm: 10 events an hour for 59 hours
            clock.move_to(T0 + timedelta(hours=hour))
            _store(project, 10)
        clock.move_to(T0 + timedelta(hours=60))
        (last,) = store.store_batch([_prepared(project, value="the latest")])

    issue = Issue.objects.get(pk=first.issue_id)
    assert issue.times_seen == 1 + 590 + 1
    assert issue.stored_count <= 20
    _exact(issue)
    stored = list(Event.objects.filter(issue=issue).order_by("timestamp"))
    assert stored[0].event_id == first.event_ids[0]
    assert stored[-1].event_id == last.event_ids[0] == issue.last_event_id
    hours = {(e.timestamp - T0) // timedelta(hours=1) for e in stored}
    assert len(hours) >= 15, "the sample is spread over the storm, not its last hours"
    assert min(hours - {0}) < 15 and max(hours) == 60


def test_the_server_default_cap_applies_when_the_project_sets_none(settings):
    settings.EVENTS_PER_ISSUE = 5
    project = ProjectFactory()
    _store(project, 12)
    issue = Issue.objects.get(project=project)
    assert (issue.times_seen, issue.stored_count) == (12, 5)
    _exact(issue)


def test_a_redelivered_batch_past_the_cap_counts_nothing_twice():
    project = ProjectFactory(events_per_issue=3)
    _store(project, 3)
    batch = [_prepared(project) for _ in range(5)]
    store.store_batch(batch)
    store.store_batch(batch)  # committed, then read again (the ack was lost)
    issue = Issue.objects.get(project=project)
    assert issue.times_seen == 8
    _exact(issue)


def test_retention_after_eviction_keeps_the_counters_exact():
    project = ProjectFactory(events_per_issue=10, retention_days=2)
    with time_machine.travel(T0, tick=False) as clock:
        for day in range(4):
            clock.move_to(T0 + timedelta(days=day))
            _store(project, 15)
        lifecycle.expire([project])
    issue = Issue.objects.get(project=project)
    assert issue.times_seen == 60
    assert issue.stored_count == Event.objects.filter(issue=issue).count() > 0
    assert not Event.objects.filter(issue=issue, timestamp__lt=T0 + timedelta(days=1)).exists()


def test_cleanup_command_dry_run_then_for_real_with_a_summary():
    project = ProjectFactory()
    other = ProjectFactory()
    with time_machine.travel(T0, tick=False) as clock:
        _store(project, 4)
        _store(other, 2)
        clock.move_to(T0 + timedelta(days=8))
        name = f"{project.organization.slug}/{project.slug}"
        out = StringIO()
        call_command("cleanup", "--days", "7", "--project", name, "--dry-run", stdout=out)
        assert "Would delete 4 events and 1 issues in 1 projects" in out.getvalue()
        assert Event.objects.filter(project=project).count() == 4

        out = StringIO()
        call_command("cleanup", "--days", "7", "--project", name, stdout=out)
        assert "Deleted 4 events and 1 issues in 1 projects" in out.getvalue()
        assert f"{name}: 4 events" in out.getvalue()
    assert Event.objects.filter(project=project).count() == 0
    assert Event.objects.filter(project=other).count() == 2  # 90 days by default


def test_cleanup_command_refuses_an_unknown_project_and_negative_days():
    with pytest.raises(CommandError, match="no project"):
        call_command("cleanup", "--project", "nope/nothing")
    with pytest.raises(CommandError, match="--days"):
        call_command("cleanup", "--days", "-1")


def test_deleted_issues_and_projects_go_at_once_and_their_events_in_batches(
    django_capture_on_commit_callbacks,
):
    project = ProjectFactory()
    _store(project, 7)
    _store(project, 3, type_="KeyError")
    key_error = Issue.objects.get(project=project, title__startswith="KeyError")
    with django_capture_on_commit_callbacks() as callbacks:
        assert lifecycle.forget_issues([key_error.pk]) == 1
    assert not Issue.objects.filter(pk=key_error.pk).exists()
    assert not IssueTag.objects.filter(issue_id=key_error.pk).exists()
    assert Event.objects.filter(issue_id=key_error.pk).count() == 3  # until the task runs
    assert PendingDeletion.objects.count() == 1 and len(callbacks) == 1
    ticks = []
    assert lifecycle.purge_deleted(batch=2, tick=ticks.append) == 3
    assert ticks == [2, 1] and not PendingDeletion.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):  # the task runs, eagerly here
        lifecycle.forget_project(project)
    assert not Event.objects.filter(project_id=project.pk).exists()
    assert not type(project).objects.filter(pk=project.pk).exists()
    assert not Issue.objects.filter(project_id=project.pk).exists()
    assert list(PendingDeletion.objects.values_list("kind", "object_id")) == []


def test_events_of_a_project_deleted_elsewhere_go_with_the_hourly_run():
    project = ProjectFactory()
    _store(project, 3)
    project.organization.delete()  # the admin, say: nobody asked for the task
    assert Event.objects.filter(project_id=project.pk).count() == 3
    tasks.expire_events()
    assert not Event.objects.filter(project_id=project.pk).exists()
    assert not PendingDeletion.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs concurrent writers")
def test_cleanup_concurrent_with_ingest_neither_deadlocks_nor_loses_a_count():
    """Retention deletes an issue's old events while workers store new ones for it, past
    its cap: every count stays exact and nobody waits forever."""
    project = ProjectFactory(retention_days=1, events_per_issue=50)
    with time_machine.travel(T0, tick=False) as clock:
        for hour in range(0, 24, 2):
            clock.move_to(T0 + timedelta(hours=hour))
            _store(project, 20)
        clock.move_to(T0 + timedelta(days=1, hours=12))
        batches = [[[_prepared(project) for _ in range(25)] for _ in range(12)] for _ in range(2)]
    errors = []

    def run(fn):
        try:
            fn()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def ingest(worker):
        for batch in batches[worker]:
            store.store_batch(batch)

    def cleanup():
        for _ in range(5):
            lifecycle.expire_project(project, T0 + timedelta(days=1, hours=12), batch=3)

    jobs = (lambda: ingest(0), lambda: ingest(1), cleanup)
    threads = [threading.Thread(target=run, args=(fn,)) for fn in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "deadlocked"
    assert errors == []
    issue = Issue.objects.get(project=project)
    assert issue.times_seen == 240 + 2 * 300
    _exact(issue, aged_out=6 * 20)  # the buckets of hours 0 to 10
    assert not Event.objects.filter(issue=issue, timestamp__lt=T0 + timedelta(hours=12)).exists()


def test_tables_are_vacuumed_once_their_dead_rows_pass_the_share():
    stats = [
        ("events_event", 100_000, 2_000),  # 2 %: due
        ("events_issue", 100_000, 1_999),  # just under
        ("events_issuetag", 10, 999),  # under the minimum, whatever the share
        ("events_issuehourlycount", 0, 1_000),  # an emptied table
    ]
    assert space.tables_to_vacuum(stats) == ["events_event", "events_issuehourlycount"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's VACUUM")
def test_a_retention_pass_vacuums_on_postgresql_so_the_next_events_reuse_the_space():
    """Without it the deleted rows' space waits for autovacuum (20 % of the table)."""
    project = ProjectFactory(retention_days=1, events_per_issue=10_000)
    table = Event._meta.db_table

    def dead_and_vacuumed():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_stat_force_next_flush()")
            cur.execute(
                "SELECT n_dead_tup, vacuum_count FROM pg_stat_user_tables WHERE relname = %s",
                [table],
            )
            return cur.fetchone()

    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(3):
            _store(project, 500)
        _, vacuums_before = dead_and_vacuumed()
        clock.move_to(T0 + timedelta(days=2))
        summary = lifecycle.expire([project])
    assert summary.events == 1500
    dead, vacuums_after = dead_and_vacuumed()
    assert vacuums_after == vacuums_before + 1
    assert dead < 1000
