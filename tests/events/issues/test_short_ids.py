"""Short ids: WEB-1, WEB-2, ... per project, from the write path, found by the search box."""

import pytest

from events.models import Issue
from projects.models import Project
from tests.support.factories import ProjectFactory
from tests.support.payloads import python_error
from tests.support.world import store

pytestmark = pytest.mark.django_db


def test_the_write_path_numbers_issues_per_project_one_after_the_other(project, ingest_queue):
    other = ProjectFactory(organization=project.organization, name="Web Shop", slug="web-shop")
    first = store(project, python_error(type_="KeyError"), python_error(type_="TypeError"))
    store(other, python_error(type_="KeyError"))
    again = store(project, python_error(type_="KeyError"), python_error(type_="OSError"))
    numbers = dict(Issue.objects.filter(project=project).values_list("pk", "short_number"))
    assert sorted(numbers.values()) == [1, 2, 3]  # the repeated KeyError made no new issue
    assert numbers[first[0].pk] < numbers[(set(i.pk for i in again) - {first[0].pk}).pop()]
    assert Issue.objects.get(project=other).short_id == "WEB-SHOP-1"
    assert Project.objects.get(pk=project.pk).issue_counter == 3
    issue = Issue.objects.create(  # other paths (admin, factories) take the next number too
        project=project, grouping_version="v1", fingerprint="f" * 32, title="by hand",
        first_seen=first[0].first_seen, last_seen=first[0].last_seen,
    )  # fmt: skip
    assert issue.short_id == "BACKEND-4"


def test_the_search_box_finds_a_short_id_whatever_its_status(client, alice, project, ingest_queue):
    issues = store(project, python_error(type_="KeyError"), python_error(type_="TypeError"))
    wanted = max(issues, key=lambda i: i.short_number)
    Issue.objects.filter(pk=wanted.pk).update(status=Issue.Status.RESOLVED)
    client.force_login(alice)
    url = f"/orgs/{project.organization.slug}/projects/{project.slug}/"
    for typed in (wanted.short_id, wanted.short_id.lower()):
        page = client.get(url, {"q": typed, "status": "unresolved"}).content.decode()
        assert f"/issues/{wanted.pk}/" in page and wanted.short_id in page
        other = next(i for i in issues if i.pk != wanted.pk)
        assert f"/issues/{other.pk}/" not in page
    plain = client.get(url).content.decode()  # the default list: unresolved only
    assert f"/issues/{wanted.pk}/" not in plain
    assert '<option value="unresolved" selected>' in plain  # the status in force is shown
