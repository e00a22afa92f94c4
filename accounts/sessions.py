"""Sessions end when access changes: a password change ends the user's other sessions
(Django's session hash does that: `update_session_auth_hash` keeps only the current one),
and a removed membership ends all of the removed user's sessions, recorded here at login."""

import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete
from django.dispatch import receiver

from projects.models import Membership

from . import sso, twofactor
from .models import SessionRecord
from .throttle import client_ip


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


@receiver(user_logged_in)
def _record(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    request.session["_renewed"] = int(time.time())  # IdleSessionMiddleware's clock
    with_sso = sso.signed_in_with_sso(request.session)
    request.session[twofactor.PENDING] = twofactor.pending_for(user, sso=with_sso)
    request.session[sso.PENDING] = sso.pending_for(user, sso=with_sso)
    if request.session.session_key is None:
        request.session.save()
    SessionRecord.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )


@receiver(user_logged_out)
def _forget(sender, request, user, **kwargs):
    if request is not None and getattr(request, "session", None) is not None:
        SessionRecord.objects.filter(session_key=request.session.session_key).delete()


def end_sessions(user_id: int, *, keep: str | None = None) -> int:
    """End every session of the user but `keep`; returns how many were ended."""
    records = SessionRecord.objects.filter(user_id=user_id).exclude(session_key=keep or "")
    keys = list(records.values_list("session_key", flat=True))
    store = _store()
    for key in keys:
        store(session_key=key).delete()
    records.delete()
    return len(keys)


@receiver(post_delete, sender=Membership)
def _membership_removed(sender, instance, **kwargs):
    end_sessions(instance.user_id)


def end_sessions_without_2fa(org, *, keep: str | None = None) -> None:
    """When an organization starts requiring two-factor: its members without it sign in
    again (and are then sent to set it up)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with_2fa = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    for user_id in org.memberships.exclude(user_id__in=with_2fa).values_list("user_id", flat=True):
        end_sessions(user_id, keep=keep)


def end_password_sessions(org, *, keep: str | None = None) -> None:
    """When an organization starts requiring single sign-on: the password sessions of its
    members but owners end (they sign in again, and are then sent to the provider)."""
    store = _store()
    members = org.memberships.exclude(role=Membership.Role.OWNER).values("user_id")
    records = SessionRecord.objects.filter(user_id__in=members).exclude(session_key=keep or "")
    for record in records:
        session = store(session_key=record.session_key)
        if not sso.signed_in_with_sso(session):
            session.delete()
            record.delete()
