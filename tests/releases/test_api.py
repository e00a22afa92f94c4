"""The releases API with the test client: shapes sentry-cli needs, status codes, versions
with any character, access between organizations, scopes, pagination."""

from urllib.parse import quote

import pytest

from events.models import Issue
from releases.models import Release
from tests.api.conftest import Api
from tests.support.factories import ProjectFactory
from tests.support.payloads import python_error

pytestmark = pytest.mark.django_db

ORG = "organizations/org-a/"
PROJECT = "projects/org-a/backend/"


def v(version: str) -> str:
    return quote(version, safe="")  # as sentry-cli encodes it, `/` too


@pytest.fixture
def api(alice, project):
    return Api(alice)


def test_create_get_finalize_list_delete_at_both_levels(api, project):
    created = api.post(PROJECT + "releases/", {"version": "web@1.4.2+build.7", "projects": ["backend"],
                                               "dateStarted": "2026-12-06T19:43:55.809743201Z"})  # fmt: skip
    assert created.status_code == 201, created.content
    assert created["Content-Type"].startswith("application/json")
    body = created.json()
    assert body["version"] == "web@1.4.2+build.7" and body["dateCreated"]
    assert body["shortVersion"] == "1.4.2+build.7"
    assert [p["slug"] for p in body["projects"]] == ["backend"]

    again = api.post(ORG + "releases/", {"version": "web@1.4.2+build.7", "projects": ["backend"]})
    assert again.status_code == 208

    path = ORG + f"releases/{v('web@1.4.2+build.7')}/"
    assert api.get(path).json()["dateReleased"] is None
    put = api.put(path, {"projects": ["backend"], "dateReleased": "2026-01-01T01:00:00Z",
                         "url": "https://ci.example.com/1"})  # fmt: skip
    assert put.status_code == 200
    assert put.json()["dateReleased"] == "2026-01-01T01:00:00Z"
    assert api.get(PROJECT + f"releases/{v('web@1.4.2+build.7')}/").json()["url"] == (
        "https://ci.example.com/1"
    )

    listed = api.get(PROJECT + "releases/", {"cursor": ""})
    assert [r["version"] for r in listed.json()] == ["web@1.4.2+build.7"]
    assert 'rel="next"; results="false"' in listed["Link"]

    assert api.delete(PROJECT + f"releases/{v('web@1.4.2+build.7')}/").status_code == 204
    assert api.get(path).status_code == 404


def test_versions_with_slashes_and_subresource_names_route_to_the_release(api, project):
    for version in ("release/2024-01", "a/deploys", "1.0.0"):
        assert (
            api.post(ORG + "releases/", {"version": version, "projects": ["backend"]}).status_code
            == 201
        )
    assert api.get(ORG + f"releases/{v('release/2024-01')}/").json()["version"] == "release/2024-01"
    deploy = api.post(ORG + f"releases/{v('release/2024-01')}/deploys/", {"environment": "prod"})
    assert deploy.status_code == 201
    assert Release.objects.get(version="release/2024-01").deploys.count() == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"version": "", "projects": ["backend"]}, "version"),
        ({"version": "has space", "projects": ["backend"]}, "whitespace"),
        ({"version": "x" * 201, "projects": ["backend"]}, "version"),
        ({"version": "latest", "projects": ["backend"]}, "not a valid version"),
        ({"version": "1.0", "projects": ["nope"]}, "Invalid project slugs: nope"),
        ({"version": "1.0", "projects": []}, "at least one project"),
        ({"version": "1.0", "projects": ["backend"], "dateReleased": "yesterday"}, "dateReleased"),
        ({"version": "1.0", "projects": ["backend"], "url": "not a url"}, "url"),
    ],
)
def test_bad_release_bodies_are_400_with_a_reason(api, project, body, reason):
    answer = api.post(ORG + "releases/", body)
    assert answer.status_code == 400
    assert reason in answer.json()["detail"]


def test_archive_and_restore_through_status(api, project):
    api.post(ORG + "releases/", {"version": "1.0.0", "projects": ["backend"]})
    archived = api.post(
        ORG + "releases/", {"version": "1.0.0", "projects": [], "status": "archived"}
    )
    assert archived.status_code == 208 and archived.json()["status"] == "archived"
    restored = api.post(ORG + "releases/", {"version": "1.0.0", "projects": [], "status": "open"})
    assert restored.json()["status"] == "open"


def test_deploys_commits_and_previous_with_commits(api, alice, project):
    api.post(ORG + "releases/", {"version": "1.0.0", "projects": ["backend"]})
    assert api.get(ORG + "releases/1.0.0/previous-with-commits/").json() == {}
    commits = [
        {"patch_set": [{"path": "b.txt", "type": "A"}], "repository": "origin",
         "author_name": "Ann", "author_email": "ann@example.com",
         "timestamp": "2026-12-01T10:00:00+00:00", "message": "second commit\n", "id": "b" * 40},
        {"patch_set": [], "repository": "origin", "author_name": "Bo", "author_email": "bo@example.com",
         "timestamp": "2026-12-01T09:00:00+00:00", "message": "first commit\n", "id": "a" * 40},
    ]  # fmt: skip
    assert api.put(ORG + "releases/1.0.0/", {"commits": commits}).status_code == 200
    api.post(ORG + "releases/", {"version": "1.1.0", "projects": ["backend"]})
    previous = api.get(ORG + "releases/1.1.0/previous-with-commits/").json()
    assert previous["version"] == "1.0.0" and previous["lastCommit"]["id"] == "b" * 40
    assert previous["commitCount"] == 2
    assert {a["email"] for a in previous["authors"]} == {"ann@example.com", "bo@example.com"}
    listed = api.get(ORG + "releases/1.0.0/commits/").json()
    assert [c["id"] for c in listed] == ["b" * 40, "a" * 40]
    assert listed[0]["files"] == [{"path": "b.txt", "type": "A"}]
    # Repositories made by local commits are not "configured": sentry-cli's modes are unaffected.
    assert api.get(ORG + "repos/", {"cursor": ""}).json() == []

    deploy = api.post(ORG + "releases/1.0.0/deploys/", {"environment": "production", "name": None,
                      "url": None, "dateStarted": None, "dateFinished": "2026-12-01T11:00:00Z"})  # fmt: skip
    assert deploy.status_code == 201 and deploy.json()["environment"] == "production"
    assert [d["environment"] for d in api.get(ORG + "releases/1.0.0/deploys/").json()] == [
        "production"
    ]
    detail = api.get(ORG + "releases/1.0.0/").json()
    assert detail["deployCount"] == 1 and detail["lastDeploy"]["environment"] == "production"
    assert api.post(ORG + "releases/1.0.0/deploys/", {"name": "x"}).status_code == 400


def test_refs_need_a_configured_repository(api, project):
    api.post(ORG + "releases/", {"version": "2.0.0", "projects": ["backend"]})
    ref = {"refs": [{"repository": "acme/app", "commit": "c" * 40, "previousCommit": None}]}
    refused = api.put(ORG + "releases/2.0.0/", ref)
    assert refused.status_code == 400 and "Unknown repository: acme/app" in refused.json()["detail"]
    # As the README's curl posts it (provider: GitHub by default).
    repo = api.post(ORG + "repos/", {"name": "acme/app", "url": "https://github.com/acme/app"})
    assert repo.status_code == 201
    [listed] = api.get(ORG + "repos/").json()
    assert {"id", "name", "provider", "status", "dateCreated", "url"} <= set(listed)
    assert listed["provider"]["id"] == "integrations:github"
    assert api.put(ORG + "releases/2.0.0/", ref).status_code == 200
    detail = api.get(ORG + "releases/2.0.0/").json()
    assert detail["lastCommit"]["id"] == "c" * 40 and detail["refs"][0]["repository"] == "acme/app"
    assert api.put(ORG + "releases/2.0.0/", {"refs": []}).json()["commitCount"] == 0  # --clear


def test_other_organizations_releases_are_404_and_scopes_apply(api, alice, bob, charlie, project):
    api.post(ORG + "releases/", {"version": "1.0.0", "projects": ["backend"]})
    stranger = Api(charlie)
    assert stranger.get(ORG + "releases/").status_code == 404
    assert stranger.get(ORG + "releases/1.0.0/").status_code == 404
    assert (
        stranger.post(ORG + "releases/", {"version": "9", "projects": ["backend"]}).status_code
        == 404
    )
    assert stranger.delete(PROJECT + "releases/1.0.0/").status_code == 404
    reader = Api(bob, scopes=["read"])
    assert reader.get(ORG + "releases/1.0.0/").status_code == 200
    assert (
        reader.post(ORG + "releases/", {"version": "2", "projects": ["backend"]}).status_code == 403
    )
    assert Api(bob).post(ORG + "repos/", {"name": "x/y"}).status_code == 403  # members: no
    assert Release.objects.count() == 1


def test_release_list_pages_with_link_cursors(api, project):
    for n in range(5):
        api.post(ORG + "releases/", {"version": f"1.0.{n}", "projects": ["backend"]})
    first = api.get(ORG + "releases/", {"limit": 2})
    assert [r["version"] for r in first.json()] == ["1.0.4", "1.0.3"]
    next_cursor = first["Link"].split('rel="next"; results="true"; cursor="')[1].split('"')[0]
    second = api.get(ORG + "releases/", {"limit": 2, "cursor": next_cursor})
    assert [r["version"] for r in second.json()] == ["1.0.2", "1.0.1"]
    assert api.get(ORG + "releases/", {"cursor": "garbage"}).status_code == 400
    assert [r["version"] for r in api.get(ORG + "releases/", {"query": "1.0.3"}).json()] == [
        "1.0.3"
    ]


def test_project_release_counters_come_from_events(api, project, store_events):
    other = ProjectFactory(organization=project.organization, slug="api")
    store_events(
        project, python_error(release="3.0.0"), python_error(type_="KeyError", release="3.0.0")
    )
    store_events(other, python_error(release="3.0.0"))
    mine = api.get(PROJECT + "releases/3.0.0/").json()
    assert (mine["newGroups"], mine["events"]) == (2, 2)
    everywhere = api.get(ORG + "releases/3.0.0/").json()
    assert (everywhere["newGroups"], everywhere["events"]) == (3, 3)
    assert everywhere["lastEvent"] and everywhere["firstEvent"]


def test_resolve_in_release_and_next_release_through_the_issue_api(api, project, store_events):
    [issue] = store_events(project, python_error(release="1.0.0"))
    answer = api.put(
        f"issues/{issue.pk}/", {"status": "resolved", "statusDetails": {"inRelease": "1.0.0"}}
    )
    assert answer.status_code == 200 and answer.json()["statusDetails"] == {"inRelease": "1.0.0"}
    assert api.get(f"issues/{issue.pk}/").json()["statusDetails"] == {"inRelease": "1.0.0"}
    api.put(f"issues/{issue.pk}/", {"status": "unresolved"})
    bulk = api.put(PROJECT + f"issues/?id={issue.pk}",
                   {"status": "resolved", "statusDetails": {"inNextRelease": True}})  # fmt: skip
    assert bulk.status_code == 200, bulk.content
    issue.refresh_from_db()
    assert (issue.status, issue.resolved_in_release, issue.resolved_in_next_release) == (
        Issue.Status.RESOLVED, "1.0.0", True,
    )  # fmt: skip
    assert api.get(f"issues/{issue.pk}/").json()["statusDetails"] == {"inNextRelease": True}
