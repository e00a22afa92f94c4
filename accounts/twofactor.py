"""Two-factor sign-in: TOTP (authenticator apps) and recovery codes, with django-otp's
devices. What a session still owes is decided once, at sign-in, and kept in the session
(`PENDING`), so pages cost no query for it: "verify" (the user has a device: enter a code),
"setup" (an organization of theirs requires two-factor and they have none), or nothing."""

from __future__ import annotations

import segno
from django.db import transaction
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from projects.models import Organization

PENDING = "_2fa_pending"
RECOVERY_CODES = 10


def required_by_org(user, *, sso: bool = False) -> bool:
    """Does an organization of the user require two-factor? After a single sign-on, those
    that also require single sign-on do not: their owners made the provider the gate (and
    its own second factor, if they set one up there, the organization's)."""
    orgs = Organization.objects.filter(memberships__user=user, require_2fa=True)
    if sso:
        orgs = orgs.filter(require_sso=False)
    return orgs.exists()


def pending_for(user, *, sso: bool = False) -> str | None:
    """A user's own authenticator is always asked for, also after a single sign-on."""
    if user_has_device(user):
        return "verify"
    if required_by_org(user, sso=sso):
        return "setup"
    return None


def enabled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def unconfirmed_device(user) -> TOTPDevice:
    """The device being set up (a new secret until it is confirmed with a code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG (no image request, nothing for the CSP to allow)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111")


def secret_b32(device: TOTPDevice) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode()


def new_recovery_codes(user) -> list[str]:
    """Replaces the user's recovery codes; each works once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": "Recovery codes"})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


@transaction.atomic
def confirm(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirms a new device with a code from the app; returns fresh recovery codes, or None
    when the code is wrong. Other authenticators of the user are replaced."""
    if not device.verify_token(code.strip().replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    request.session[PENDING] = None
    return new_recovery_codes(device.user)


def verify(request, code: str) -> bool:
    """A code from the app or a recovery code (used up); django-otp throttles repeated
    failures of a device (each failure doubles the wait)."""
    device = match_token(request.user, code.strip().replace(" ", "").lower())
    if device is None:
        return False
    otp_login(request, device)
    request.session[PENDING] = None
    return True


def disable(request) -> None:
    user = request.user
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    from .sso import signed_in_with_sso

    required = required_by_org(user, sso=signed_in_with_sso(request.session))
    request.session[PENDING] = "setup" if required else None
