"""Invitations by email: accepted by a new account or an existing one, once, before they
expire, unless revoked."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import Invitation, Membership

pytestmark = pytest.mark.django_db


def invite(alice, email, role="member"):
    client = Client()
    client.force_login(alice)
    client.post(reverse("projects:add-member", args=["org-a"]), {"email": email, "role": role})
    body = mail.outbox[-1].body
    return re.search(r"https?://\S+/invitations/\S+/", body).group(0).split("testserver")[-1]


def test_a_new_account_joins_with_the_invited_role(alice, org_a):
    link = invite(alice, "new@example.com", role="viewer")
    guest = Client()
    page = guest.get(link)
    assert page.status_code == 200 and "Join Org A" in page.content.decode()
    answer = guest.post(link, {"username": "newbie", "password1": "a-long-passphrase-42",
                               "password2": "a-long-passphrase-42"})  # fmt: skip
    assert answer["Location"] == reverse("projects:organization", args=["org-a"])
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "new@example.com"
    assert Membership.objects.get(user=user, organization=org_a).role == "viewer"
    assert guest.get("/").status_code == 200  # signed in
    assert Client().get(link).status_code == 404  # used: works once


def test_an_existing_account_accepts_while_signed_in(alice, charlie, org_a):
    link = invite(alice, "charlie.work@example.com", role="admin")
    client = Client()
    client.force_login(charlie)
    assert "Join as charlie" in client.get(link).content.decode()
    client.post(link)
    assert Membership.objects.get(user=charlie, organization=org_a).role == "admin"


def test_revoked_and_expired_invitations_do_not_work(alice, org_a):
    link = invite(alice, "late@example.com")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        page = Client().get(link)
        assert page.status_code == 404 and "expired, was revoked" in page.content.decode()
    second = invite(alice, "gone@example.com")
    invitation = Invitation.objects.get(email="gone@example.com")
    owner = Client()
    owner.force_login(alice)
    org_page = owner.get(reverse("projects:organization", args=["org-a"])).content.decode()
    assert "gone@example.com" in org_page
    owner.post(reverse("projects:invitation-revoke", args=["org-a", invitation.pk]))
    assert Client().get(second).status_code == 404
    answer = Client().post(second, {"username": "x", "password1": "a-long-passphrase-42",
                                    "password2": "a-long-passphrase-42"})  # fmt: skip
    assert answer.status_code == 404 and not get_user_model().objects.filter(username="x").exists()


def test_an_open_invitation_is_not_sent_twice_and_members_cannot_revoke(client, alice, bob):
    invite(alice, "twice@example.com")
    again = Client()
    again.force_login(alice)
    again.post(
        reverse("projects:add-member", args=["org-a"]),
        {"email": "twice@example.com", "role": "member"},
    )
    assert len(mail.outbox) == 1
    invitation = Invitation.objects.get()
    client.force_login(bob)
    url = reverse("projects:invitation-revoke", args=["org-a", invitation.pk])
    assert client.post(url).status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked is None


def test_the_api_answers_an_invitation_as_a_pending_member(alice, org_a):
    from api.models import ApiToken

    _, token = ApiToken.issue(alice, scopes=["admin"])
    answer = Client().post("/api/0/organizations/org-a/members/", {"email": "api@example.com", "orgRole": "member"},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
    assert answer.status_code == 201
    body = answer.json()
    assert body["pending"] is True and body["user"] is None and body["email"] == "api@example.com"
    assert Invitation.objects.filter(email="api@example.com", organization=org_a).exists()
