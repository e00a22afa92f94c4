"""Invitations: made by members.add for an address without an account, accepted through the
mailed link by a new account or the one the person is signed in to, revoked by admins."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import Invitation, Membership


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_invitations(org):
    return org.invitations.filter(
        accepted__isnull=True, revoked__isnull=True, expires__gt=timezone.now()
    )


def create(request, org, email: str, role: str) -> Invitation:
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=org, email=email, role=role, token_hash=_hash(token),
        invited_by=request.user if request.user.is_authenticated else None,
        expires=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )  # fmt: skip
    link = request.build_absolute_uri(reverse("projects:invitation", args=[token]))
    context = {"organization": org, "link": link, "inviter": request.user,
               "invitation": invitation, "days": settings.INVITATION_DAYS}  # fmt: skip
    send_mail(
        render_to_string("projects/emails/invite_subject.txt", context).strip(),
        render_to_string("projects/emails/invitation_body.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [email],
    )
    return invitation


def find_open(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    invitation = (
        Invitation.objects.select_related("organization").filter(token_hash=_hash(token)).first()
    )
    return invitation if invitation is not None and invitation.is_open else None


@transaction.atomic
def accept(invitation: Invitation, user) -> Membership:
    """The user joins with the invitation's role (or keeps a membership they already have)."""
    membership, _ = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    invitation.accepted = timezone.now()
    invitation.save(update_fields=["accepted"])
    return membership


def revoke(invitation: Invitation) -> None:
    invitation.revoked = timezone.now()
    invitation.save(update_fields=["revoked"])
