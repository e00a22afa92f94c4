"""The audit log: who did what, when, from which address; read by owners and admins on the
organization's page and through the API; never changed."""

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory
from django.urls import reverse

from api.models import ApiToken
from audit.models import AuditEntry
from projects.models import Membership
from tests.support.payloads import python_error

pytestmark = pytest.mark.django_db


def actions(**filters):
    return list(
        AuditEntry.objects.filter(**filters).order_by("pk").values_list("action", flat=True)
    )


def test_sign_ins_and_failures_with_the_address(bob, alice):
    client = Client()
    client.post(reverse("login"), {"username": "bob", "password": "nope"}, REMOTE_ADDR="10.8.0.1")
    client.post(reverse("login"), {"username": "bob", "password": "pw"}, REMOTE_ADDR="10.8.0.2")
    failed, ok = AuditEntry.objects.filter(actor=bob).order_by("pk")[:2]
    assert (failed.action, str(failed.ip), failed.actor_name) == (
        "auth.login_failed",
        "10.8.0.1",
        "bob",
    )
    assert (ok.action, str(ok.ip)) == ("auth.login", "10.8.0.2")
    # Shown to the admins of bob's organization.
    owner = Client()
    owner.force_login(alice)
    page = owner.get(reverse("audit:log", args=["org-a"]), {"actor": "bob"}).content.decode()
    assert "auth.login_failed" in page and "10.8.0.1" in page


def test_changes_are_logged_with_actor_and_organization(
    client, alice, bob, project, org_a, store_events
):
    client.force_login(alice)
    client.post(
        reverse("projects:add-member", args=["org-a"]),
        {"email": "new@example.com", "role": "viewer"},
    )
    client.post(reverse("projects:team-create", args=["org-a"]), {"name": "Core"})
    team = org_a.teams.get()
    client.post(
        reverse("projects:team-action", args=["org-a", team.pk]),
        {"action": "add-project", "id": project.pk},
    )
    keys = reverse("projects:keys", args=["org-a", "backend"])
    client.post(keys, {"action": "create", "new-label": "ci", "new-rate_limit_per_minute": ""})
    key = project.keys.get(label="ci")
    client.post(keys, {"action": "delete", "key": key.pk})
    client.post(
        reverse("projects:settings", args=["org-a", "backend"]),
        {"name": "Backend", "slug": "backend", "platform": "go"},
    )
    rule = project.alert_rules.first()
    client.post(reverse("alerts:rule-delete", args=["org-a", "backend", rule.pk]))
    [issue] = store_events(project, python_error())
    assert client.delete(f"/api/0/issues/{issue.pk}/").status_code == 202
    client.post(
        reverse("projects:remove-member", args=["org-a", Membership.objects.get(user=bob).pk])
    )
    client.post(reverse("projects:sign-in-rules", args=["org-a"]), {"require_2fa": "on"})
    logged = actions(actor=alice, organization=org_a)
    for expected in (
        "member.invited",
        "team.created",
        "team.changed",
        "key.created",
        "key.deleted",
        "project.changed",
        "rule.deleted",
        "issue.deleted",
        "member.removed",
        "org.sign_in_rules",
    ):
        assert expected in logged, (expected, logged)
    removed = AuditEntry.objects.get(action="member.removed")
    assert (
        removed.target == "bob" and removed.actor_name == "alice" and str(removed.ip) == "127.0.0.1"
    )


def test_tokens_and_two_factor_are_logged_for_the_user(client, bob):
    client.force_login(bob)
    client.post(reverse("api-tokens:list"), {"name": "ci", "scopes": ["read"]})
    token = ApiToken.objects.get(user=bob)
    client.post(reverse("api-tokens:revoke", args=[token.pk]))
    assert {"token.created", "token.revoked"} <= set(actions(actor=bob))


def test_only_admins_read_it_and_filters_work(client, alice, bob, charlie):
    url = reverse("audit:log", args=["org-a"])
    client.force_login(bob)
    assert client.get(url).status_code == 403
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    client.force_login(alice)
    page = client.get(url, {"action": "auth"}).content.decode()
    assert 'title="auth.login"' in page and "charlie" not in page  # charlie is in org B only
    assert (
        'title="auth.login"' not in client.get(url, {"action": "member.removed"}).content.decode()
    )


def test_api_lists_and_filters_entries(alice, bob):
    _, admin_token = ApiToken.issue(alice, scopes=["admin"])
    _, read_token = ApiToken.issue(alice, scopes=["read"])
    Client().post(reverse("login"), {"username": "bob", "password": "bad"}, REMOTE_ADDR="10.9.0.9")
    url = "/api/0/organizations/org-a/audit-logs/"
    api = Client()
    assert api.get(url, HTTP_AUTHORIZATION=f"Bearer {read_token}").status_code == 403
    rows = api.get(
        url, {"action": "auth.login_failed"}, HTTP_AUTHORIZATION=f"Bearer {admin_token}"
    ).json()
    assert [(r["event"], r["actor"], r["ipAddress"]) for r in rows] == [
        ("auth.login_failed", "bob", "10.9.0.9")
    ]
    assert (
        api.get(
            url, {"since": "not a date"}, HTTP_AUTHORIZATION=f"Bearer {admin_token}"
        ).status_code
        == 400
    )


def test_entries_cannot_be_changed(alice):
    entry = AuditEntry.objects.filter(actor=alice).first() or AuditEntry.objects.create(action="x")
    entry.action = "forged"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    admin = site._registry[AuditEntry]
    request = RequestFactory().get("/")
    request.user = alice
    assert not admin.has_change_permission(request, entry) and not admin.has_delete_permission(
        request, entry
    )
