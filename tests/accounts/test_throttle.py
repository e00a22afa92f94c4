"""Guessing limits: a burst of wrong passwords locks the account and the address for a
while, with the same answer whether or not the account exists; the reset form likewise."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import throttle

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-in attempts"


def attempt(client, username, password="wrong", ip="10.1.1.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def test_burst_locks_an_account_from_any_address_and_lockout_expires(client, bob):
    answers = [attempt(client, "bob", ip=f"10.2.0.{i}").status_code for i in range(30)]
    assert answers == [200] * 4 + [429] * 26  # the fifth failure locks
    # The right password is refused as well while locked, from yet another address.
    locked = attempt(client, "bob", "pw", ip="10.9.9.9")
    assert locked.status_code == 429 and LOCKED in locked.content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        ok = attempt(client, "bob", "pw", ip="10.9.9.9")
        assert ok.status_code == 302 and ok["Location"] == "/"


def test_the_answer_does_not_tell_whether_the_account_exists(client, bob):
    for name in ("bob", "nobody-here"):
        pages = [attempt(client, name, ip=f"10.3.{len(name)}.{i}") for i in range(6)]
        assert [p.status_code for p in pages] == [200] * 4 + [429] * 2
        first, last = pages[0].content.decode(), pages[-1].content.decode()
        assert "didn't match" in first and LOCKED in last
        assert "nobody-here" not in last.replace('value="nobody-here"', "")


def test_one_address_guessing_many_accounts_is_locked(client, bob):
    answers = [attempt(client, f"user{i}", ip="10.4.4.4").status_code for i in range(8)]
    assert answers == [200] * 4 + [429] * 4
    assert attempt(client, "bob", "pw", ip="10.4.4.4").status_code == 429
    assert attempt(client, "bob", "pw", ip="10.4.4.5").status_code == 302  # bob is not locked


def test_success_resets_the_count(client, bob):
    for _ in range(4):
        attempt(client, "bob")
    assert attempt(client, "bob", "pw").status_code == 302
    client.logout()
    assert [attempt(client, "bob").status_code for _ in range(4)] == [200] * 4


def test_password_reset_is_limited_per_email_and_per_address(client, bob, settings):
    settings.PASSWORD_RESET_LIMIT = "3/hour"
    throttle._limiter().storage.reset()
    bob.email = "bob@example.com"
    bob.save()
    url = reverse("password_reset")

    def ask(email, ip):
        return client.post(url, {"email": email}, REMOTE_ADDR=ip)

    assert [ask("bob@example.com", f"10.5.0.{i}").status_code for i in range(5)] == [302] * 3 + [
        429
    ] * 2
    assert len(mail.outbox) == 3
    # An unknown email gets the same answers, so they tell nothing.
    assert [ask("ghost@example.com", f"10.6.0.{i}").status_code for i in range(4)] == [302] * 3 + [
        429
    ]
    refused = ask("ghost@example.com", "10.6.1.1").content.decode()
    assert "Too many password reset requests" in refused
    # One address asking for many emails.
    assert [ask(f"u{i}@example.com", "10.7.7.7").status_code for i in range(4)] == [302] * 3 + [429]
    assert len(mail.outbox) == 3


def test_behind_a_proxy_the_proxys_address_entry_counts(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8", REMOTE_ADDR="10.0.0.1")
    assert throttle.client_ip(request) == "10.0.0.1"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert throttle.client_ip(request) == "5.6.7.8"
