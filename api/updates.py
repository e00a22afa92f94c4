"""Issue changes sent to the API (Sentry's PUT body) -> calls into `events.issues.triage`.

{"status": "resolved"}                      {"status": "ignored", "statusDetails":
{"status": "muted", "snoozeDuration": 60}       {"ignoreDuration": 30, "ignoreCount": 100}}
{"status": "resolved", "statusDetails": {"inNextRelease": true}}  (or {"inRelease": "1.2.0"})
{"assignedTo": "alice"}  ("user:7", "7", a username or email; null or "" unassigns)
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from rest_framework import serializers

from events.issues import triage
from events.models import Issue

STATUSES = ("resolved", "unresolved", "ignored", "muted")
# Bulk changes without ids stop here, as in Sentry: the newest issues first.
BULK_LIMIT = 1000


class StatusDetailsInput(serializers.Serializer):
    ignoreDuration = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=triage.MAX_IGNORE_MINUTES
    )
    ignoreCount = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=triage.MAX_IGNORE_COUNT
    )
    inNextRelease = serializers.BooleanField(required=False)
    inRelease = serializers.CharField(required=False, allow_blank=True, max_length=200)


class IssueUpdateInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES, required=False)
    statusDetails = StatusDetailsInput(required=False)
    snoozeDuration = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=triage.MAX_IGNORE_MINUTES
    )
    ignoreDuration = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=triage.MAX_IGNORE_MINUTES
    )
    ignoreCount = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=triage.MAX_IGNORE_COUNT
    )
    assignedTo = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=254
    )
    # Accepted for compatibility; nothing of ours keeps them.
    hasSeen = serializers.BooleanField(required=False)
    isBookmarked = serializers.BooleanField(required=False)
    isSubscribed = serializers.BooleanField(required=False)
    isPublic = serializers.BooleanField(required=False)


def find_assignee(text: str, organization_ids: set[int]):
    """The organization member that `text` names, or None."""
    text = text.strip()
    if text.startswith("user:"):
        text = text[5:]
    lookup = Q(username=text) | Q(email__iexact=text) if "@" in text else Q(username=text)
    if text.isdigit():
        lookup |= Q(pk=int(text))
    members = get_user_model().objects.filter(
        lookup, memberships__organization_id__in=organization_ids
    )
    return members.distinct().order_by("pk").first()


def resolve_assignee(data: dict, organization_ids: set[int]):
    """(assignee user or None) for an `assignedTo` in `data`; ValidationError if not a member."""
    text = data.get("assignedTo")
    if not text:
        return None
    if len(organization_ids) != 1:
        raise serializers.ValidationError(
            {"assignedTo": ["Issues of several organizations cannot share an assignee."]}
        )
    assignee = find_assignee(text, organization_ids)
    if assignee is None:
        raise serializers.ValidationError(
            {"assignedTo": ["Not a member of the issue's organization."]}
        )
    return assignee


def apply(issue_ids: list[int], data: dict, user, organization_ids: set[int]) -> dict:
    """Apply validated input to the issues; returns what changed, shaped as Sentry does."""
    result: dict = {}
    if "assignedTo" in data:
        assignee = resolve_assignee(data, organization_ids)
        triage.assign(issue_ids, user, assignee)
        result["assignedTo"] = assignee
    status = data.get("status")
    if status == "resolved":
        details = data.get("statusDetails") or {}
        in_release = details.get("inRelease") or ""
        in_next = bool(details.get("inNextRelease")) and not in_release
        triage.resolve(issue_ids, user, in_release=in_release, in_next_release=in_next)
        if in_release:
            result["statusDetails"] = {"inRelease": in_release}
        elif in_next:
            result["statusDetails"] = {"inNextRelease": True}
    elif status == "unresolved":
        triage.unresolve(issue_ids, user)
    elif status in ("ignored", "muted"):
        details = data.get("statusDetails") or {}
        minutes = (
            details.get("ignoreDuration")
            or data.get("ignoreDuration")
            or data.get("snoozeDuration")
        )
        count = details.get("ignoreCount") or data.get("ignoreCount")
        triage.ignore(issue_ids, user, minutes=minutes, count=count)
        status = Issue.Status.IGNORED
        result["statusDetails"] = {
            k: v for k, v in (("ignoreDuration", minutes), ("ignoreCount", count)) if v
        }
    if status:
        result["status"] = status
        result.setdefault("statusDetails", {})
    return result
