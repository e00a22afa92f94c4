"""Sessions end when access changes, and after a configurable idle time."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SessionRecord
from projects.models import Membership

pytestmark = pytest.mark.django_db


def signed_in(username, password="pw"):
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302
    return client


def is_in(client):
    return client.get(reverse("events:overview")).status_code == 200


def test_password_change_ends_the_other_sessions(bob):
    laptop, phone = signed_in("bob"), signed_in("bob")
    assert is_in(laptop) and is_in(phone)
    new = "a-long-passphrase-42"
    response = laptop.post(reverse("password_change"), {
        "old_password": "pw", "new_password1": new, "new_password2": new,
    })  # fmt: skip
    assert response.status_code == 302
    assert is_in(laptop) and not is_in(phone)


def test_removed_membership_ends_all_of_that_users_sessions(alice, bob):
    bobs = [signed_in("bob"), signed_in("bob")]
    other = signed_in("alice")
    assert SessionRecord.objects.filter(user=bob).count() == 2
    owner = signed_in("alice")
    target = Membership.objects.get(user=bob)
    owner.post(reverse("projects:remove-member", args=["org-a", target.pk]))
    assert not Membership.objects.filter(pk=target.pk).exists()
    assert not any(is_in(c) for c in bobs)
    assert is_in(other) and is_in(owner)
    assert not SessionRecord.objects.filter(user=bob).exists()


def test_logout_forgets_the_record(bob):
    client = signed_in("bob")
    assert SessionRecord.objects.filter(user=bob).count() == 1
    client.post(reverse("logout"))
    assert not SessionRecord.objects.filter(user=bob).exists()


def test_sessions_expire_after_the_idle_time_and_requests_renew_them(bob, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    client = signed_in("bob")
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=20)):
        assert is_in(client)  # renews
    with time_machine.travel(start + timedelta(minutes=45)):
        assert is_in(client)  # 25 idle minutes since the last request
    with time_machine.travel(start + timedelta(minutes=80)):
        assert not is_in(client)
