"""Two-factor sign-in: TOTP set-up with recovery codes, the code asked at every sign-in,
organizations that require it, and API tokens that keep working without it."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from api.models import ApiToken

pytestmark = pytest.mark.django_db


def signed_in(username):
    client = Client()
    assert (
        client.post(reverse("login"), {"username": username, "password": "pw"}).status_code == 302
    )
    return client


def code_for(user, at=None) -> str:
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = (at or timezone.now()).timestamp()
    return f"{totp.token():06d}"


def enroll(client, user) -> list[str]:
    page = client.get(reverse("account-2fa-setup"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    answer = client.post(reverse("account-2fa-setup"), {"code": code_for(user)})
    assert answer.status_code == 200
    return re.findall(r"<li>([a-z2-7]{8})</li>", answer.content.decode())


def test_set_up_then_every_sign_in_asks_for_a_code(bob):
    client = signed_in("bob")
    codes = enroll(client, bob)
    assert len(codes) == 10
    assert "On:" in client.get(reverse("account-2fa")).content.decode()

    later = timezone.now() + timedelta(minutes=2)
    with time_machine.travel(later):
        again = signed_in("bob")
        overview = again.get("/")
        assert overview.status_code == 302
        assert overview["Location"].startswith(reverse("account-2fa-verify"))
        # Session calls to the API are refused too; the set-up page cannot replace the device.
        assert again.get("/api/0/organizations/").status_code == 403
        assert again.get(reverse("account-2fa-setup"))["Location"] == reverse("account-2fa-verify")
        done = again.post(
            reverse("account-2fa-verify"), {"code": code_for(bob), "next": "/issues/"}
        )
        assert done["Location"] == "/issues/"
        assert again.get("/").status_code == 200
        assert again.get("/api/0/organizations/").status_code == 200


def test_a_recovery_code_works_once(bob):
    client = signed_in("bob")
    codes = enroll(client, bob)
    first, second = signed_in("bob"), signed_in("bob")
    assert first.post(reverse("account-2fa-verify"), {"code": codes[0]}).status_code == 302
    assert first.get("/").status_code == 200
    assert second.post(reverse("account-2fa-verify"), {"code": codes[0]}).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):  # past the failure's wait
        answer = second.post(reverse("account-2fa-verify"), {"code": codes[1].upper()})
        assert answer.status_code == 302


def test_turning_it_off_needs_a_code(bob):
    client = signed_in("bob")
    codes = enroll(client, bob)
    client.post(reverse("account-2fa-disable"), {"code": "999999"})
    assert TOTPDevice.objects.filter(user=bob).exists()
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        client.post(reverse("account-2fa-disable"), {"code": codes[0]})
    assert not TOTPDevice.objects.filter(user=bob).exists()
    assert signed_in("bob").get("/").status_code == 200


def test_an_organization_can_require_it(alice, bob, charlie):
    bobs = signed_in("bob")
    assert bobs.get("/").status_code == 200
    owner = signed_in("alice")
    url = reverse("projects:sign-in-rules", args=["org-a"])
    assert bobs.post(url, {"require_2fa": "on"}).status_code == 403  # members cannot
    owner.post(url, {"require_2fa": "on"})
    # bob's session ended; signed in again, he is sent to set it up before anything else.
    assert bobs.get("/").status_code == 302
    again = signed_in("bob")
    for path in ("/", "/issues/", reverse("projects:organization", args=["org-a"])):
        answer = again.get(path)
        assert answer.status_code == 302 and answer["Location"].startswith(
            reverse("account-2fa-setup")
        ), path
    assert "requires two-factor" in again.get(reverse("account-2fa-setup")).content.decode()
    enroll(again, bob)
    assert again.get("/").status_code == 200
    # The owner, without two-factor, is sent to set it up too; charlie (org B) is not.
    assert owner.get("/")["Location"].startswith(reverse("account-2fa-setup"))
    assert signed_in("charlie").get("/").status_code == 200


def test_api_tokens_work_without_two_factor(alice, bob, org_a):
    org_a.require_2fa = True
    org_a.save()
    _, text = ApiToken.issue(bob, scopes=["read"])
    client = Client()
    answer = client.get("/api/0/organizations/", HTTP_AUTHORIZATION=f"Bearer {text}")
    assert answer.status_code == 200 and answer.json()[0]["slug"] == "org-a"


def test_wrong_codes_are_throttled(bob):
    client = signed_in("bob")
    wrong = client.post(reverse("account-2fa-setup"), {"code": "000000"})
    assert wrong.status_code == 400 and "did not work" in wrong.content.decode()
    # Right after a failure even the right code waits (django-otp doubles the wait each time).
    assert client.post(reverse("account-2fa-setup"), {"code": code_for(bob)}).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert enroll(client, bob)
