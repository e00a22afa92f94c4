"""Issue endpoints: Sentry's field types, search, sort, cursors, bulk and single changes."""

import re

import pytest

from api import shapes
from events.models import Activity, Event, Issue, IssueTag
from tests.support.payloads import python_error
from tests.support.world import store

pytestmark = pytest.mark.django_db
PROJECT_ISSUES = "projects/org-a/backend/issues/"


def links(response) -> dict:
    """rel -> (results, cursor) from a Link header."""
    found = re.findall(
        r'<([^>]*)>; rel="(\w+)"; results="(\w+)"; cursor="([^"]*)"', response["Link"]
    )
    return {rel: (results == "true", cursor, url) for url, rel, results, cursor in found}


def test_issue_list_has_sentrys_fields_and_types(api_as, bob, project, issues_a):
    response = api_as(bob).get(PROJECT_ISSUES)
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 3
    typeerror = next(r for r in rows if r["metadata"].get("type") == "TypeError")
    issue = Issue.objects.get(pk=int(typeerror["id"]))
    assert typeerror["id"] == str(issue.pk) and typeerror["count"] == "1"
    assert typeerror["userCount"] == 1 and isinstance(typeerror["userCount"], int)
    assert typeerror["shortId"] == f"BACKEND-{issue.short_number}"
    assert typeerror["project"] == {"id": str(project.pk), "name": "Backend", "slug": "backend"}
    assert typeerror["permalink"].endswith(f"/issues/{issue.pk}/")
    assert typeerror["status"] == "unresolved" and typeerror["statusDetails"] == {}
    assert typeerror["firstSeen"].endswith("Z") and typeerror["assignedTo"] is None
    assert len(typeerror["stats"]["24h"]) == 24 and typeerror["stats"]["24h"][-1][1] == 1
    for key in ("title", "culprit", "level", "type", "logger", "numComments", "isBookmarked",
                "isPublic", "isSubscribed", "hasSeen", "shareId", "subscriptionDetails",
                "annotations", "platform"):  # fmt: skip
        assert key in typeerror


def test_query_language_and_default_status(api_as, bob, project, issues_a):
    api = api_as(bob)
    Issue.objects.filter(pk=issues_a[0].pk).update(status="resolved")
    assert len(api.get(PROJECT_ISSUES).json()) == 2  # no query: unresolved
    assert len(api.get(PROJECT_ISSUES, {"query": ""}).json()) == 3  # empty query: all
    assert len(api.get(PROJECT_ISSUES, {"query": "is:resolved"}).json()) == 1
    found = api.get(PROJECT_ISSUES, {"query": "database"}).json()
    assert [r["metadata"]["value"] for r in found] == ["database timeout"]
    assert len(api.get(PROJECT_ISSUES, {"query": "environment:prod"}).json()) == 1
    assert len(api.get(PROJECT_ISSUES, {"query": "", "environment": "prod"}).json()) == 1
    assert api.get(PROJECT_ISSUES, {"statsPeriod": ""}).json()[0]["stats"] == {}
    assert len(api.get(PROJECT_ISSUES, {"statsPeriod": "14d"}).json()[0]["stats"]["14d"]) == 14


def test_cursor_pagination_walks_forward_and_back_with_sentrys_link_header(
    api_as, bob, project, ingest_queue
):
    store(project, *[python_error(type_=f"E{i}Error") for i in range(5)])
    api = api_as(bob)
    first = api.get(PROJECT_ISSUES, {"limit": 2, "query": ""})
    rel = links(first)
    assert rel["previous"][0] is False and rel["next"][0] is True
    seen = [r["id"] for r in first.json()]
    cursor = rel["next"][1]
    while cursor:
        page = api.get(PROJECT_ISSUES, {"limit": 2, "query": "", "cursor": cursor})
        assert page.status_code == 200
        seen += [r["id"] for r in page.json()]
        results, cursor, _ = links(page)["next"]
        cursor = cursor if results else None
    by_last_seen = Issue.objects.order_by("-last_seen", "-id").values_list("pk", flat=True)
    assert seen == [str(pk) for pk in by_last_seen]
    second = api.get(PROJECT_ISSUES, {"limit": 2, "query": "", "cursor": rel["next"][1]})
    back = api.get(
        PROJECT_ISSUES, {"limit": 2, "query": "", "cursor": links(second)["previous"][1]}
    )
    assert [r["id"] for r in back.json()] == seen[:2]
    assert "query=&" in links(second)["next"][2] and "limit=2" in links(second)["next"][2]


@pytest.mark.parametrize(
    "params",
    [{"cursor": "bogus"}, {"cursor": "1:2"}, {"sort": "user"}, {"sort": "x"}, {"limit": "0"},
     {"limit": "101"}, {"limit": "x"}, {"statsPeriod": "1y"}, {"cursor": "9999999999999999999:1:0"}, {"cursor": "1:9999999999999999999:0"}],
)  # fmt: skip
def test_bad_list_parameters_are_400_with_a_detail(api_as, bob, project, params):
    response = api_as(bob).get(PROJECT_ISSUES, params)
    assert response.status_code == 400, response.content
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


def test_sorts(api_as, bob, project, ingest_queue):
    store(project, python_error(type_="AError"), python_error(type_="BError"))
    store(project, python_error(type_="CError"))
    store(project, python_error(type_="BError"), python_error(type_="BError"))
    busy, new = (
        Issue.objects.get(title__startswith="BError"),
        Issue.objects.get(title__startswith="CError"),
    )
    api = api_as(bob)
    assert [r["id"] for r in api.get(PROJECT_ISSUES, {"sort": "freq"}).json()][0] == str(busy.pk)
    assert [r["id"] for r in api.get(PROJECT_ISSUES, {"sort": "new"}).json()][0] == str(new.pk)
    assert api.get(PROJECT_ISSUES, {"sort": "date"}).json()[0]["id"] == str(busy.pk)


def test_organization_issue_list_filters_by_project_and_period(
    api_as, alice, project, issues_a, ingest_queue
):
    from tests.support.factories import ProjectFactory

    other = ProjectFactory(organization=project.organization, slug="web")
    store(other, python_error(type_="WebError"))
    api = api_as(alice)
    assert len(api.get("organizations/org-a/issues/").json()) == 4
    only = api.get("organizations/org-a/issues/", {"project": other.pk}).json()
    assert [r["project"]["slug"] for r in only] == ["web"]
    assert len(api.get("organizations/org-a/issues/", {"project": -1}).json()) == 4
    Issue.objects.filter(project=other).update(last_seen="2020-01-01T00:00:00Z")
    assert len(api.get("organizations/org-a/issues/", {"statsPeriod": "24h"}).json()) == 3
    assert api.get("organizations/org-a/issues/", {"project": "x"}).status_code == 400


def test_bulk_resolve_without_filters_applies_to_every_issue_like_sentry_cli(
    api_as, bob, project, issues_a, issue_b
):
    response = api_as(bob).put(PROJECT_ISSUES + "?", {"status": "resolved", "snoozeDuration": None})
    assert response.status_code == 200
    assert response.json() == {"status": "resolved", "statusDetails": {}}
    assert set(Issue.objects.filter(project=project).values_list("status", flat=True)) == {
        "resolved"
    }
    issue_b.refresh_from_db()
    assert issue_b.status == "unresolved"  # another organization's issue is untouched
    assert Activity.objects.filter(kind="resolved", user=bob).count() == 3


def test_bulk_update_narrowed_by_ids_or_status(api_as, bob, project, issues_a):
    api = api_as(bob)
    a, b, c = issues_a
    url = f"{PROJECT_ISSUES}?id={a.pk}&id={b.pk}"
    assert api.put(url, {"status": "muted", "snoozeDuration": 30}).json()["status"] == "ignored"
    a.refresh_from_db(), c.refresh_from_db()
    assert a.status == "ignored" and a.ignore_until is not None and c.status == "unresolved"
    assert api.put(PROJECT_ISSUES + "?status=muted", {"status": "unresolved"}).status_code == 200
    assert set(Issue.objects.values_list("status", flat=True)) == {"unresolved"}
    assert api.put(PROJECT_ISSUES + "?id=999999", {"status": "resolved"}).status_code == 204
    assert api.put(PROJECT_ISSUES + "?id=abc", {"status": "resolved"}).status_code == 400
    assert api.put(PROJECT_ISSUES + "?status=open", {"status": "resolved"}).status_code == 400


@pytest.mark.parametrize(
    "body",
    [{"status": "closed"}, {"status": "ignored", "statusDetails": {"ignoreDuration": 0}},
     {"status": "ignored", "statusDetails": {"ignoreCount": "many"}}, {"assignedTo": "nobody"},
     ["status"], "resolved"],
)  # fmt: skip
def test_bad_change_bodies_are_400_and_change_nothing(api_as, bob, project, issues_a, body):
    issue = issues_a[0]
    response = api_as(bob).client.put(f"/api/0/issues/{issue.pk}/", body, format="json")
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)
    issue.refresh_from_db()
    assert issue.status == "unresolved" and issue.assignee is None


def test_invalid_json_is_400(api_as, bob, project, issues_a):
    response = api_as(bob).client.put(
        f"/api/0/issues/{issues_a[0].pk}/", "{nope", content_type="application/json"
    )
    assert response.status_code == 400


def test_issue_detail_change_and_delete(
    api_as, alice, bob, charlie, project, issues_a, django_capture_on_commit_callbacks
):
    api = api_as(bob)
    issue = issues_a[0]
    detail = api.get(f"issues/{issue.pk}/").json()
    assert detail["id"] == str(issue.pk) and detail["activity"] == []
    changed = api.put(
        f"issues/{issue.pk}/",
        {"status": "ignored", "statusDetails": {"ignoreCount": 10}, "assignedTo": "alice"},
    ).json()
    assert changed["status"] == "ignored" and changed["statusDetails"] == {"ignoreCount": 10}
    assert changed["substatus"] == "archived_until_condition_met"
    assert changed["assignedTo"] == {"type": "user", "id": str(alice.pk), "name": "alice",
                                     "email": "alice@example.com"}  # fmt: skip
    assert {a["type"] for a in changed["activity"]} == {"set_ignored", "assigned"}
    assert api.put(f"issues/{issue.pk}/", {"assignedTo": "charlie"}).status_code == 400
    assert (
        api.put(f"issues/{issue.pk}/", {"assignedTo": f"user:{bob.pk}"}).json()["assignedTo"][
            "name"
        ]
        == "bob"
    )
    assert api.put(f"issues/{issue.pk}/", {"assignedTo": None}).json()["assignedTo"] is None
    assert api.get(f"organizations/org-a/issues/{issue.pk}/").status_code == 200
    assert api.get(f"organizations/org-b/issues/{issue.pk}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):  # events go in a task, after commit
        assert api.delete(f"issues/{issue.pk}/").status_code == 202
    assert not Issue.objects.filter(pk=issue.pk).exists()
    assert not Event.objects.filter(issue_id=issue.pk).exists()
    assert not IssueTag.objects.filter(issue_id=issue.pk).exists()
    assert api.get(f"issues/{issue.pk}/").status_code == 404


def test_bulk_delete_by_ids_and_all(api_as, bob, project, issues_a):
    api = api_as(bob)
    assert api.delete(f"{PROJECT_ISSUES}?id={issues_a[0].pk}").status_code == 204
    assert Issue.objects.count() == 2
    assert api.delete(PROJECT_ISSUES).status_code == 204
    assert Issue.objects.count() == 0


def test_short_id_lookup(api_as, bob, project, issues_a):
    issue = issues_a[1]
    Issue.objects.filter(pk=issue.pk).update(status="resolved")
    short = shapes.short_id("backend", issue.short_number)
    numbers = sorted(Issue.objects.filter(project=project).values_list("short_number", flat=True))
    assert numbers == [1, 2, 3]  # numbered per project, from 1
    found = api_as(bob).get(PROJECT_ISSUES, {"query": short.lower(), "shortIdLookup": "1"}).json()
    assert [r["id"] for r in found] == [str(issue.pk)] and found[0]["shortId"] == short
    # A plain search for a short id alone finds it too, whatever its status (the search box).
    found = api_as(bob).get(PROJECT_ISSUES, {"query": short}).json()
    assert [r["id"] for r in found] == [str(issue.pk)]


def test_bulk_assign_answers_with_the_assignee(api_as, alice, bob, project, issues_a):
    response = api_as(bob).put(PROJECT_ISSUES, {"assignedTo": "alice@example.com"})
    assert response.json() == {"assignedTo": {"type": "user", "id": str(alice.pk), "name": "alice",
                                              "email": "alice@example.com"}}  # fmt: skip
    assert set(Issue.objects.values_list("assignee", flat=True)) == {alice.pk}
