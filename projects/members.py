"""Adding and removing organization members: the rules the dashboard and the API share."""

from __future__ import annotations

from . import access, invitations
from .models import Membership


class MemberError(Exception):
    """A change the rules refuse; the message says why."""


def add(request, membership: Membership, email: str, role: str, existing_user=None):
    """Add `email` to the caller's organization with `role` (an AddMemberForm checked the
    email): an existing account joins at once; another address gets an invitation
    (projects/invitations.py). Returns (membership or invitation, invited)."""
    if not access.can_grant(membership, role):
        raise MemberError("Only owners can add owners.")
    org = membership.organization
    if existing_user is None:
        return invitations.create(request, org, email, role), True
    return Membership.objects.create(user=existing_user, organization=org, role=role), False


def remove(membership: Membership, target: Membership) -> None:
    owners = membership.organization.memberships.filter(role=Membership.Role.OWNER).count()
    if target.role == Membership.Role.OWNER and (
        membership.role != Membership.Role.OWNER or owners == 1
    ):
        raise MemberError("Only an owner can remove an owner, and never the last one.")
    target.delete()
