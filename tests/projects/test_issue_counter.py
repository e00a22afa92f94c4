"""The short-id counter is the worker's: saving a stale copy of the project (a settings form,
the admin) must not set it back, or the next new issue would take a number already given."""

from events.models import FailedPayload, Issue
from tests.support.payloads import python_error
from tests.support.world import *  # noqa: F403


def test_saving_a_stale_project_keeps_the_counter(project, store_events):
    store_events(project, python_error(type_="ValueError"))
    project.name = "Renamed"  # this copy still holds issue_counter 0
    project.save()
    store_events(project, python_error(type_="KeyError"))
    assert not FailedPayload.objects.exists()
    numbers = sorted(Issue.objects.filter(project=project).values_list("short_number", flat=True))
    assert numbers == [1, 2]
    project.refresh_from_db()
    assert project.name == "Renamed" and project.issue_counter == 2
