"""Who may see and administer what. The one place views (and later the REST API) ask.

Users see the organizations they are members of and everything in them; owners and admins
also manage projects, keys and members. Anything else answers 404, never 403, so another
organization's URLs do not even reveal that an object exists.

Querysets of other apps (issues, events) are narrowed with `for_member`, given the path from
their model to Project, so this module never imports them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import Membership, Organization, Project

ADMIN_ROLES = (Membership.Role.OWNER, Membership.Role.ADMIN)


def organizations_for(user) -> QuerySet[Organization]:
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user)


def projects_for(user) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(organization__memberships__user=user)


def for_member(queryset: QuerySet, user, *, project_path: str = "project") -> QuerySet:
    """Rows of any model whose `project_path` leads to a project the user can see."""
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(**{f"{project_path}__organization__memberships__user": user})


def get_for_member_or_404(queryset: QuerySet, user, *, project_path: str = "project", **lookup):
    try:
        return for_member(queryset, user, project_path=project_path).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404("No such object.") from None


def membership_or_404(user, org_slug: str, *, admin: bool = False) -> Membership:
    """The user's membership of the organization (with it selected); 404 if none, or if
    `admin` is asked and the user is a plain member."""
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user if user.is_authenticated else None, organization__slug=org_slug)
        .first()
    )
    if membership is None or (admin and not is_admin(membership)):
        raise Http404("No such organization.")
    return membership


def admin_membership_or_403(user, org_slug: str) -> Membership:
    """For the API, where a member who may see an organization is told why a change is
    refused: 404 for a non-member, 403 (PermissionDenied) for a plain member."""
    membership = membership_or_404(user, org_slug)
    if not is_admin(membership):
        raise PermissionDenied("Only owners and admins of the organization may do this.")
    return membership


def project_or_404(user, org_slug: str, project_slug: str, *, admin: bool = False) -> Project:
    membership = membership_or_404(user, org_slug, admin=admin)
    project = (
        Project.objects.select_related("organization")
        .filter(organization=membership.organization, slug=project_slug)
        .first()
    )
    if project is None:
        raise Http404("No such project.")
    return project


def is_admin(membership: Membership | None) -> bool:
    return membership is not None and membership.role in ADMIN_ROLES


def admin_org_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(user=user, role__in=ADMIN_ROLES).values_list(
            "organization_id", flat=True
        )
    )


def can_grant(membership: Membership, role: str) -> bool:
    """Admins add members and admins; only owners make owners."""
    if not is_admin(membership):
        return False
    return role != Membership.Role.OWNER or membership.role == Membership.Role.OWNER
