"""Settings through the API: project creation and settings, DSN keys. Owners and admins only;
write scope for projects, admin scope for keys."""

import pytest

from events.models import Event
from projects.models import Project

pytestmark = pytest.mark.django_db
KEYS = "projects/org-a/backend/keys/"


def test_project_settings_need_write_scope_and_an_admin(api_as, alice, bob, charlie, project):
    assert api_as(bob).put("projects/org-a/backend/", {"name": "B"}).status_code == 403
    assert api_as(alice, ["read"]).put("projects/org-a/backend/", {"name": "B"}).status_code == 403
    assert api_as(charlie).put("projects/org-a/backend/", {"name": "B"}).status_code == 404
    body = (
        api_as(alice, ["write"])
        .put("projects/org-a/backend/", {"name": "Back end", "platform": "go"})
        .json()
    )
    assert body["name"] == "Back end" and body["platform"] == "go" and body["slug"] == "backend"
    assert api_as(alice).put("projects/org-a/backend/", {"slug": "new"}).status_code == 400
    assert api_as(alice).put("projects/org-a/backend/", {"platform": "cobol"}).status_code == 400
    project.refresh_from_db()
    assert project.name == "Back end" and project.slug == "backend"


def test_create_a_project(api_as, alice, dave, bob, charlie, project):
    response = api_as(dave, ["write"]).post("organizations/org-a/projects/", {"name": "Web App"})
    assert response.status_code == 201
    assert response.json()["slug"] == "web-app" and response.json()["platform"] == "other"
    created = Project.objects.get(slug="web-app")
    assert created.organization.slug == "org-a" and created.keys.count() == 1
    assert (
        api_as(alice).post("organizations/org-a/projects/", {"name": "Web App"}).status_code == 400
    )
    assert api_as(alice).post("organizations/org-a/projects/", {}).status_code == 400
    assert api_as(bob).post("organizations/org-a/projects/", {"name": "X"}).status_code == 403
    assert (
        api_as(alice, ["read"]).post("organizations/org-a/projects/", {"name": "X"}).status_code
        == 403
    )
    assert api_as(charlie).post("organizations/org-a/projects/", {"name": "X"}).status_code == 404
    assert Project.objects.count() == 2


def test_key_detail_update_and_delete(api_as, alice, bob, charlie, project):
    key = project.keys.get()
    path = f"{KEYS}{key.public_key}/"
    assert api_as(bob, ["read"]).get(path).json()["dsn"]["public"] == key.dsn()
    assert api_as(bob).put(path, {"isActive": False}).status_code == 403
    assert api_as(alice, ["write"]).put(path, {"isActive": False}).status_code == 403
    assert api_as(charlie).get(path).status_code == 404
    admin = api_as(alice, ["admin"])
    body = admin.put(
        path, {"name": "ci", "isActive": False, "rateLimit": {"window": 3600, "count": 600}}
    ).json()
    assert body["name"] == "ci" and body["isActive"] is False
    assert body["rateLimit"] == {"window": 60, "count": 10}
    key.refresh_from_db()
    assert key.label == "ci" and not key.is_active and key.rate_limit_per_minute == 10
    assert admin.put(path, {"rateLimit": None}).json()["rateLimit"] is None
    assert admin.put(path, {"rateLimit": {"window": 0, "count": 1}}).status_code == 400
    too_many = {"rateLimit": {"window": 1, "count": 999_999_999}}  # found by schemathesis
    assert admin.put(path, too_many).status_code == 400
    assert admin.get(f"{KEYS}{'0' * 32}/").status_code == 404
    assert admin.delete(path).status_code == 204
    assert not project.keys.exists()


def test_members_list_add_and_remove(api_as, alice, dave, bob, charlie, mailoutbox):
    from projects.models import Membership
    from tests.support.factories import UserFactory

    members = api_as(bob, ["read"]).get("organizations/org-a/members/").json()
    assert {m["email"] for m in members} == {
        "alice@example.com",
        "dave@example.com",
        "bob@example.com",
    }
    row = next(m for m in members if m["email"] == "bob@example.com")
    assert row["role"] == row["orgRole"] == "member" and row["user"]["username"] == "bob"
    assert api_as(charlie).get("organizations/org-a/members/").status_code == 404

    url = "organizations/org-a/members/"
    UserFactory(username="erin")  # has an account, in no organization yet
    assert api_as(bob).post(url, {"email": "x@example.com"}).status_code == 403  # plain member
    assert api_as(dave, ["write"]).post(url, {"email": "x@example.com"}).status_code == 403  # scope
    assert api_as(dave).post(url, {"email": "x@example.com", "orgRole": "owner"}).status_code == 403
    response = api_as(dave).post(url, {"email": "New@Example.com", "orgRole": "admin"})
    assert response.status_code == 201 and response.json()["role"] == "admin"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["new@example.com"]
    assert api_as(dave).post(url, {"email": "new@example.com"}).status_code == 400  # already in
    assert api_as(dave).post(url, {"email": "not an email"}).status_code == 400
    assert api_as(dave).post(url, {"email": "a" * 250 + "@example.com"}).status_code == 400
    long_a, long_b = "x" * 160 + "@a.example.com", "x" * 160 + "@b.example.com"  # same 150 first
    assert api_as(dave).post(url, {"email": long_a}).status_code == 201
    assert api_as(dave).post(url, {"email": long_b}).status_code == 201
    assert (
        api_as(alice).post(url, {"email": "erin@example.com", "role": "member"}).status_code == 201
    )
    assert len(mailoutbox) == 3  # an existing user is added, not invited

    bob_id = Membership.objects.get(user=bob).pk
    alice_id = Membership.objects.get(user=alice).pk
    assert api_as(bob).delete(f"{url}{bob_id}/").status_code == 403
    assert api_as(dave).delete(f"{url}{alice_id}/").status_code == 403  # only owners remove owners
    assert api_as(alice).delete(f"{url}{alice_id}/").status_code == 403  # never the last owner
    assert api_as(dave).delete(f"{url}{bob_id}/").status_code == 204
    assert api_as(dave).get(f"{url}{bob_id}/").status_code == 404
    response = api_as(charlie).delete(f"{url}{alice_id}/")
    assert response.status_code == 404, response.content


def test_retention_and_cap_of_a_project_and_the_organizations_default(api_as, alice, bob, project):
    body = api_as(alice).get("projects/org-a/backend/").json()
    assert (body["retentionDays"], body["eventsPerIssue"], body["effectiveRetentionDays"]) == (
        None, None, 90,
    )  # fmt: skip
    assert api_as(bob).put("organizations/org-a/", {"retentionDays": 30}).status_code == 403
    assert api_as(alice).put("organizations/org-a/", {"retentionDays": 0}).status_code == 400
    assert (
        api_as(alice).put("organizations/org-a/", {"retentionDays": 30}).json()["retentionDays"]
        == 30
    )
    assert api_as(alice).get("projects/org-a/backend/").json()["effectiveRetentionDays"] == 30
    body = (
        api_as(alice)
        .put("projects/org-a/backend/", {"retentionDays": 7, "eventsPerIssue": 200})
        .json()
    )
    assert (body["retentionDays"], body["eventsPerIssue"], body["effectiveRetentionDays"]) == (
        7, 200, 7,
    )  # fmt: skip
    for bad in ({"retentionDays": 0}, {"retentionDays": 100_000}, {"eventsPerIssue": 0}):
        response = api_as(alice).put("projects/org-a/backend/", bad)
        assert response.status_code == 400, bad
    project.refresh_from_db()
    assert (project.retention_days, project.events_per_issue) == (7, 200)
    body = api_as(alice).put("projects/org-a/backend/", {"retentionDays": None}).json()
    assert (body["retentionDays"], body["effectiveRetentionDays"]) == (None, 30)


def test_delete_a_project_with_its_events(
    api_as, alice, bob, charlie, project, issues_a, django_capture_on_commit_callbacks
):
    assert Event.objects.filter(project_id=project.pk).count() == 3
    assert api_as(bob).delete("projects/org-a/backend/").status_code == 403
    assert api_as(charlie).delete("projects/org-a/backend/").status_code == 404
    assert api_as(alice, ["read"]).delete("projects/org-a/backend/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert api_as(alice).delete("projects/org-a/backend/").status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Event.objects.filter(project_id=project.pk).exists()
    assert api_as(alice).get("projects/org-a/backend/").status_code == 404
