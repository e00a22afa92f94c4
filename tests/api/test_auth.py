"""Who gets in: 401 without or with a bad token, 403 for a missing scope or role, 404 for
another organization's objects, the session with CSRF, superusers no wider, throttling."""

import pytest
from rest_framework.test import APIClient

from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db


def read_paths(project, issue):
    org, slug = project.organization.slug, project.slug
    event_id = issue.last_event_id
    return [
        "organizations/",
        f"organizations/{org}/",
        f"organizations/{org}/projects/",
        f"organizations/{org}/issues/",
        f"organizations/{org}/issues/{issue.pk}/",
        f"projects/{org}/{slug}/",
        f"projects/{org}/{slug}/issues/",
        f"projects/{org}/{slug}/keys/",
        f"projects/{org}/{slug}/events/{event_id}/",
        f"issues/{issue.pk}/",
        f"issues/{issue.pk}/events/",
        f"issues/{issue.pk}/events/latest/",
        f"issues/{issue.pk}/events/oldest/",
        f"issues/{issue.pk}/events/recommended/",
        f"issues/{issue.pk}/tags/",
    ]


def test_root_answers_without_a_token_like_sentry():
    response = APIClient().get("/api/0/")
    assert response.status_code == 200
    assert response.json() == {"version": "0", "auth": None, "user": None}


def test_a_bad_token_is_401_everywhere_even_on_the_root(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + "ab" * 32)
    for path in ("", "organizations/", "issues/1/"):
        response = client.get("/api/0/" + path)
        assert response.status_code == 401, path
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"]
    client.credentials(HTTP_AUTHORIZATION="Bearer")
    assert client.get("/api/0/").status_code == 401


def test_every_endpoint_needs_a_token(project, issues_a):
    client = APIClient()
    for path in read_paths(project, issues_a[0]):
        response = client.get("/api/0/" + path)
        assert response.status_code == 401, path
        assert response.json() == {"detail": "Authentication credentials were not provided."}
        assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("who", ["alice", "dave", "bob"])
def test_every_role_reads_every_endpoint_of_its_organization(
    who, request, api_as, project, issues_a
):
    api = api_as(request.getfixturevalue(who), ["read"])
    for path in read_paths(project, issues_a[0]):
        assert api.get(path).status_code == 200, path


def test_another_organizations_objects_are_404(api_as, charlie, project, issues_a, issue_b):
    api = api_as(charlie)
    for path in read_paths(project, issues_a[0]):
        if path == "organizations/":
            continue
        assert api.get(path).status_code == 404, path
    issue = issues_a[0]
    assert api.put(f"issues/{issue.pk}/", {"status": "resolved"}).status_code == 404
    assert api.delete(f"issues/{issue.pk}/").status_code == 404
    assert api.put("projects/org-a/backend/issues/", {"status": "resolved"}).status_code == 404
    assert api.delete("projects/org-a/backend/issues/").status_code == 404
    assert api.post("projects/org-a/backend/keys/", {"name": "x"}).status_code == 404
    # An org-scoped path to a foreign issue through charlie's own organization: still 404.
    assert api.get(f"organizations/org-b/issues/{issue.pk}/").status_code == 404
    assert [o["slug"] for o in api.get("organizations/").json()] == ["org-b"]
    issue.refresh_from_db()
    assert issue.status == "unresolved"


def test_a_read_token_cannot_write_and_a_write_token_cannot_make_keys(
    api_as, alice, project, issues_a
):
    issue = issues_a[0]
    reader = api_as(alice, ["read"])
    response = reader.put(f"issues/{issue.pk}/", {"status": "resolved"})
    assert response.status_code == 403 and "scope" in response.json()["detail"]
    assert reader.delete(f"issues/{issue.pk}/").status_code == 403
    assert reader.put("projects/org-a/backend/issues/", {"status": "resolved"}).status_code == 403
    writer = api_as(alice, ["write"])
    assert writer.post("projects/org-a/backend/keys/", {"name": "ci"}).status_code == 403
    assert writer.put(f"issues/{issue.pk}/", {"status": "resolved"}).status_code == 200
    assert api_as(alice, ["admin"]).post("projects/org-a/backend/keys/").status_code == 201


def test_plain_members_triage_but_only_admins_make_keys(
    api_as, alice, dave, bob, project, issues_a
):
    member = api_as(bob)
    assert member.put(f"issues/{issues_a[0].pk}/", {"status": "resolved"}).status_code == 200
    response = member.post("projects/org-a/backend/keys/", {"name": "mine"})
    assert response.status_code == 403
    assert api_as(dave).post("projects/org-a/backend/keys/", {"name": "d"}).status_code == 201
    assert api_as(alice).post("projects/org-a/backend/keys/", {"name": "a"}).status_code == 201
    assert project.keys.count() == 3


def test_a_superuser_sees_no_more_than_their_memberships(api_as, charlie, project, issues_a):
    charlie.is_superuser = charlie.is_staff = True
    charlie.save()
    api = api_as(charlie)
    assert [o["slug"] for o in api.get("organizations/").json()] == ["org-b"]
    assert api.get("projects/org-a/backend/").status_code == 404
    assert api.get(f"issues/{issues_a[0].pk}/").status_code == 404
    lone = api_as(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert lone.get("organizations/").json() == []


def test_the_browser_session_works_with_csrf_for_changes(alice, project, issues_a):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    issue = issues_a[0]
    assert client.get(f"/api/0/issues/{issue.pk}/").json()["id"] == str(issue.pk)
    response = client.put(f"/api/0/issues/{issue.pk}/", {"status": "resolved"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    client.get("/")  # the dashboard sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.put(
        f"/api/0/issues/{issue.pk}/", {"status": "resolved"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200 and response.json()["status"] == "resolved"


def test_throttling_per_token_answers_429_with_retry_after(settings, api_as, alice, bob, project):
    settings.API_THROTTLE_RATE = "3/min"
    api = api_as(alice)
    assert [api.get("organizations/").status_code for _ in range(3)] == [200] * 3
    response = api.get("organizations/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()
    assert api_as(alice).get("organizations/").status_code == 200  # another token, own budget
