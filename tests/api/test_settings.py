"""Settings through the API: project creation and settings, DSN keys. Owners and admins only;
write scope for projects, admin scope for keys."""

import pytest

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
    assert admin.get(f"{KEYS}{'0' * 32}/").status_code == 404
    assert admin.delete(path).status_code == 204
    assert not project.keys.exists()
