"""Check-ins age out with their project's events: the hourly retention run and
`manage.py cleanup`, in batches, with the clock moved."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import tasks
from monitors.models import CheckIn
from tests.support.factories import ProjectFactory

from .helpers import send

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _daily(client, key, days, slug="nightly"):
    """Two finished check-ins a day, received at T0 + day; the clock is left at the last."""
    for day in range(days):
        with time_machine.travel(T0 + timedelta(days=day), tick=False):
            for _ in range(2):
                send(client, key, {"monitor_slug": slug, "status": "ok"})


def _received_days(project) -> list[int]:
    rows = CheckIn.objects.filter(monitor__project=project).order_by("received")
    return [(c.received - T0).days for c in rows]


def test_checkins_past_retention_go_with_the_hourly_run_in_batches(
    client, key, ingest_queue, settings
):
    settings.CLEANUP_BATCH_SIZE = 3
    project = key.project
    project.retention_days = 3
    project.save()
    other_key = ProjectFactory().keys.get()  # the default 90 days: nothing of it goes
    with time_machine.travel(T0, tick=False):
        send(client, key, {"monitor_slug": "long-job", "status": "in_progress"})
    _daily(client, key, 5)
    _daily(client, other_key, 1)
    assert _received_days(project) == [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4]

    with time_machine.travel(T0 + timedelta(days=4, hours=1), tick=False):
        with CaptureQueriesContext(connection) as queries:
            tasks.expire_events()
    # Older than 3 days: the four finished ones of days 0 and 1 (in batches of 3); the run
    # still in progress (its timeout pending) stays until it ends or times out.
    assert _received_days(project) == [0, 2, 2, 3, 3, 4, 4]
    assert CheckIn.objects.get(monitor__project=project, received=T0).status == "in_progress"
    ids = ", ".join(str(m.pk) for m in project.monitors.order_by("pk"))
    deletes = [q["sql"] for q in queries if f"monitor_id IN ({ids}) AND" in q["sql"]]
    assert len(deletes) == 2 and all(q.startswith("DELETE") for q in deletes)
    assert _received_days(other_key.project) == [0, 0]


def test_cleanup_command_counts_then_deletes_old_checkins(client, key, ingest_queue):
    _daily(client, key, 3)
    name = f"{key.project.organization.slug}/{key.project.slug}"
    with time_machine.travel(T0 + timedelta(days=2, hours=-1), tick=False):  # day 0 is old
        out = StringIO()
        call_command("cleanup", "--days", "1", "--project", name, "--dry-run", stdout=out)
        assert "Would delete 2 check-ins." in out.getvalue()
        assert len(_received_days(key.project)) == 6
        out = StringIO()
        call_command("cleanup", "--days", "1", "--project", name, stdout=out)
        assert "Deleted 2 check-ins." in out.getvalue()
    assert _received_days(key.project) == [1, 1, 2, 2]
