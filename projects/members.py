"""Adding and removing organization members: the rules the dashboard and the API share."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from . import access
from .models import Membership


class MemberError(Exception):
    """A change the rules refuse; the message says why."""


def invite(request, user, org) -> None:
    """Mail a new member a link to choose a password (the password-reset confirm page)."""
    link = request.build_absolute_uri(reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }))  # fmt: skip
    context = {"user": user, "organization": org, "link": link, "inviter": request.user}
    send_mail(
        render_to_string("projects/emails/invite_subject.txt", context).strip(),
        render_to_string("projects/emails/invite_body.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
    )


def free_username(email: str) -> str:
    """The email as username, made unique when a long one shares its first 150 characters."""
    users = get_user_model().objects
    name = email[:150]
    while users.filter(username=name).exists():
        name = f"{email[:141]}-{secrets.token_hex(4)}"
    return name


def add(request, membership: Membership, email: str, role: str, existing_user=None):
    """Add `email` to the caller's organization with `role` (an AddMemberForm checked the
    email); a new address gets an account and an invitation. Returns (membership, invited)."""
    if not access.can_grant(membership, role):
        raise MemberError("Only owners can add owners.")
    org = membership.organization
    with transaction.atomic():
        user = existing_user
        invited = user is None
        if invited:
            user = get_user_model().objects.create_user(username=free_username(email), email=email)
        added = Membership.objects.create(user=user, organization=org, role=role)
    if invited:
        invite(request, user, org)
    return added, invited


def remove(membership: Membership, target: Membership) -> None:
    owners = membership.organization.memberships.filter(role=Membership.Role.OWNER).count()
    if target.role == Membership.Role.OWNER and (
        membership.role != Membership.Role.OWNER or owners == 1
    ):
        raise MemberError("Only an owner can remove an owner, and never the last one.")
    target.delete()
