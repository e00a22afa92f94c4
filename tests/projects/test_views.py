"""Creating projects, their DSN keys and the organization's members."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from projects.models import Membership, Project, ProjectKey
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_create_project_shows_dsn_and_snippets(client, alice, org_a):
    client.force_login(alice)
    response = client.post(
        reverse("projects:create", args=["org-a"]), {"name": "Web Shop", "platform": "javascript"}
    )
    project = Project.objects.get(organization=org_a, slug="web-shop")
    assert response["Location"] == reverse("projects:setup", args=["org-a", "web-shop"])
    page = client.get(response["Location"]).content.decode()
    dsn = project.keys.get().dsn()
    assert (
        dsn in page
        and "sentry_sdk.init" in page
        and "Sentry.init" in page
        and "SentryHandler" in page
    )
    assert project.keys.get().secret_dsn() in page
    assert (
        client.post(reverse("projects:create", args=["org-a"]), {"name": "New"}).status_code == 200
    )  # reserved


def test_project_settings_and_keys(client, alice, project):
    client.force_login(alice)
    url = reverse("projects:keys", args=["org-a", "backend"])
    client.post(reverse("projects:settings", args=["org-a", "backend"]),
                {"name": "Backend API", "slug": "api", "platform": "python"})  # fmt: skip
    project.refresh_from_db()
    assert (project.name, project.slug) == ("Backend API", "api")
    url = reverse("projects:keys", args=["org-a", "api"])
    client.post(url, {"action": "create", "new-label": "ci", "new-rate_limit_per_minute": "100"})
    key = ProjectKey.objects.get(project=project, label="ci")
    assert key.rate_limit_per_minute == 100
    client.post(
        url,
        {
            "action": "update",
            "key": key.pk,
            f"key{key.pk}-label": "ci",
            f"key{key.pk}-rate_limit_per_minute": "",
        },
    )
    client.post(url, {"action": "disable", "key": key.pk})
    key.refresh_from_db()
    assert key.rate_limit_per_minute is None and not key.is_active
    client.post(url, {"action": "delete", "key": key.pk})
    assert not ProjectKey.objects.filter(pk=key.pk).exists()
    assert (
        "Client keys"
        in client.get(reverse("projects:settings", args=["org-a", "api"])).content.decode()
    )


def test_add_existing_user_and_invite_new_one(client, alice, org_a):
    UserFactory(username="dora", email="dora@example.com")
    client.force_login(alice)
    url = reverse("projects:add-member", args=["org-a"])
    client.post(url, {"email": "DORA@example.com", "role": "admin"})
    assert Membership.objects.get(organization=org_a, user__username="dora").role == "admin"
    client.post(url, {"email": "new@example.com", "role": "member"})
    # No account yet: an invitation (tests/projects/test_invitations.py follows the link).
    assert not get_user_model().objects.filter(email="new@example.com").exists()
    assert len(mail.outbox) == 1 and "/invitations/" in mail.outbox[0].body
    assert mail.outbox[0].to == ["new@example.com"]


def test_admins_cannot_make_owners_and_the_last_owner_stays(client, alice, bob, org_a):
    admin = UserFactory(username="adam")
    Membership.objects.create(user=admin, organization=org_a, role="admin")
    client.force_login(admin)
    client.post(
        reverse("projects:add-member", args=["org-a"]), {"email": "o@example.com", "role": "owner"}
    )
    assert not get_user_model().objects.filter(email="o@example.com").exists()
    owner = Membership.objects.get(user=alice)
    client.post(reverse("projects:remove-member", args=["org-a", owner.pk]))
    assert Membership.objects.filter(pk=owner.pk).exists()
    bob_membership = Membership.objects.get(user=bob)
    client.post(reverse("projects:remove-member", args=["org-a", bob_membership.pk]))
    assert not Membership.objects.filter(pk=bob_membership.pk).exists()


def test_login_logout_and_password_change(client, bob):
    response = client.post(reverse("login"), {"username": "bob", "password": "pw"})
    assert response["Location"] == "/"
    assert client.get(reverse("password_change")).status_code == 200
    client.post(reverse("logout"))
    assert client.get("/").status_code == 302


def test_settings_show_every_way_to_send(client, alice, project):
    client.force_login(alice)
    key = project.keys.get()
    page = client.get(reverse("projects:settings", args=["org-a", project.slug])).content.decode()
    assert key.dsn() in page and key.secret_dsn() in page  # Sentry SDKs and raven 5
    assert f'project id <span class="mono">{project.id}</span>' in page  # Airbrake
    assert f'project key <span class="mono">{key.public_key}</span>' in page


def test_retention_and_cap_on_the_settings_pages(client, alice, bob, project):
    client.force_login(alice)
    settings_page = client.get(reverse("projects:settings", args=["org-a", "backend"]))
    assert "Keep events for (days)" in settings_page.content.decode()
    data = reverse("projects:project-data", args=["org-a", "backend"])
    client.post(data, {"data-retention_days": "14", "data-events_per_issue": "50"})
    project.refresh_from_db()
    assert (project.retention_days, project.events_per_issue) == (14, 50)
    response = client.post(
        data, {"data-retention_days": "0", "data-events_per_issue": ""}, follow=True
    )
    assert "Keep events for (days)" in response.content.decode()
    project.refresh_from_db()
    assert project.retention_days == 14  # refused, with the reason shown

    client.post(
        reverse("projects:organization-data", args=["org-a"]), {"data-retention_days": "30"}
    )
    project.organization.refresh_from_db()
    assert project.organization.retention_days == 30
    client.force_login(bob)  # a plain member changes neither
    client.post(reverse("projects:organization-data", args=["org-a"]), {"data-retention_days": "5"})
    assert client.post(data, {"data-retention_days": "5"}).status_code == 403
    project.organization.refresh_from_db()
    assert project.organization.retention_days == 30


def test_delete_a_project_from_its_settings_page(
    client, alice, bob, project, store_events, django_capture_on_commit_callbacks
):
    from events.models import Event, Issue
    from tests.support.payloads import python_error

    store_events(project, python_error())
    url = reverse("events:project-delete", args=["org-a", "backend"])
    client.force_login(bob)
    assert client.post(url).status_code == 403  # members may not
    client.force_login(alice)
    assert (
        "Delete project"
        in client.get(reverse("projects:settings", args=["org-a", "backend"])).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "Project Backend deleted" in response.content.decode()
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Issue.objects.filter(project_id=project.pk).exists()
    assert not Event.objects.filter(project_id=project.pk).exists()
