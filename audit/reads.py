"""The entries an organization's admins read, filtered; shared by the page and the API."""

from datetime import datetime

from django.db.models import Q, QuerySet

from .models import AuditEntry


def for_organization(org) -> QuerySet[AuditEntry]:
    """Entries of the organization, and its members' own (sign-ins, two-factor, tokens),
    which belong to no organization."""
    members = org.memberships.values("user_id")
    return AuditEntry.objects.filter(
        Q(organization=org) | Q(organization__isnull=True, actor_id__in=members)
    )


def filtered(qs: QuerySet, *, action: str = "", actor: str = "", since: datetime | None = None):
    if action:
        qs = (
            qs.filter(action=action)
            if "." in action
            else qs.filter(action__startswith=action + ".")
        )
    if actor:
        qs = qs.filter(actor_name=actor)
    if since is not None:
        qs = qs.filter(created__gte=since)
    return qs
