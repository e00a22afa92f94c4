"""Output shapes of the API, as Sentry's clients expect them: ids and `count` are strings,
`userCount` an integer, times ISO 8601 in UTC. Serializers only shape; views load the rows
(with `user_count`/`stats` set on issues by `issues.decorate`).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import shapes

NULLABLE_STRING = {"type": "string", "nullable": True}
STATS = {
    "type": "object",
    "additionalProperties": {
        "type": "array",
        "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
    },
}
FREE_OBJECT = {"type": "object", "additionalProperties": True}


class UserSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    username = serializers.CharField()
    name = serializers.SerializerMethodField()
    email = serializers.CharField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class OrganizationSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    slug = serializers.CharField()
    name = serializers.CharField()
    dateCreated = serializers.DateTimeField(source="created")
    isEarlyAdopter = serializers.BooleanField(default=False, read_only=True)
    require2FA = serializers.BooleanField(default=False, read_only=True)
    requireEmailVerification = serializers.BooleanField(default=False, read_only=True)
    features = serializers.ListField(child=serializers.CharField(), default=list, read_only=True)
    retentionDays = serializers.IntegerField(source="retention_days")  # ours: days events are kept
    status = serializers.SerializerMethodField()

    @extend_schema_field(
        {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}
    )
    def get_status(self, org) -> dict:
        return {"id": "active", "name": "active"}


class MemberSerializer(serializers.Serializer):
    """An organization membership, shaped like Sentry's organization member."""

    id = serializers.CharField(source="pk")
    email = serializers.CharField(source="user.email")
    name = serializers.SerializerMethodField()
    role = serializers.CharField()
    orgRole = serializers.CharField(source="role")
    roleName = serializers.CharField(source="get_role_display")
    pending = serializers.BooleanField(default=False, read_only=True)
    expired = serializers.BooleanField(default=False, read_only=True)
    dateCreated = serializers.DateTimeField(source="created")
    user = UserSerializer(allow_null=True)  # null for a pending invitation

    def get_name(self, membership) -> str:
        return membership.user.get_full_name() or membership.user.get_username()


class ProjectRefSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    name = serializers.CharField()
    slug = serializers.CharField()


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    slug = serializers.CharField()
    name = serializers.CharField()


class ProjectSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    slug = serializers.CharField()
    name = serializers.CharField()
    platform = serializers.CharField(allow_null=True)
    dateCreated = serializers.DateTimeField(source="created")
    isMember = serializers.BooleanField(default=True, read_only=True)
    status = serializers.CharField(default="active", read_only=True)
    features = serializers.ListField(child=serializers.CharField(), default=list, read_only=True)
    organization = OrganizationRefSerializer()
    team = serializers.SerializerMethodField()
    teams = serializers.SerializerMethodField()
    # Ours: the project's own retention and per-issue cap (null: the defaults) and what applies.
    retentionDays = serializers.IntegerField(source="retention_days", allow_null=True)
    eventsPerIssue = serializers.IntegerField(source="events_per_issue", allow_null=True)
    effectiveRetentionDays = serializers.IntegerField(source="retention")

    @extend_schema_field({"type": "object", "nullable": True})
    def get_team(self, project) -> dict | None:
        teams = self.get_teams(project)
        return teams[0] if teams else None

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_teams(self, project) -> list[dict]:
        """The project's teams (list views prefetch them), read once per project."""
        if not hasattr(project, "_team_refs"):
            project._team_refs = [
                {"id": str(t.pk), "slug": t.slug, "name": t.name} for t in project.teams.all()
            ]
        return project._team_refs


class AssigneeSerializer(serializers.Serializer):
    type = serializers.CharField(default="user", read_only=True)
    id = serializers.CharField(source="pk")
    name = serializers.CharField(source="username")
    email = serializers.CharField()


class IssueSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    shortId = serializers.SerializerMethodField()
    title = serializers.CharField()
    culprit = serializers.CharField()
    permalink = serializers.SerializerMethodField()
    level = serializers.CharField()
    status = serializers.CharField()
    substatus = serializers.SerializerMethodField()
    statusDetails = serializers.SerializerMethodField()
    count = serializers.SerializerMethodField()
    userCount = serializers.IntegerField(source="user_count", default=0)
    firstSeen = serializers.DateTimeField(source="first_seen")
    lastSeen = serializers.DateTimeField(source="last_seen")
    project = ProjectRefSerializer()
    type = serializers.CharField()
    metadata = serializers.DictField()
    platform = serializers.CharField()
    logger = serializers.SerializerMethodField()
    numComments = serializers.IntegerField(default=0, read_only=True)
    assignedTo = AssigneeSerializer(source="assignee", allow_null=True)
    isBookmarked = serializers.BooleanField(default=False, read_only=True)
    isPublic = serializers.BooleanField(default=False, read_only=True)
    isSubscribed = serializers.BooleanField(default=False, read_only=True)
    hasSeen = serializers.BooleanField(default=False, read_only=True)
    shareId = serializers.SerializerMethodField()
    subscriptionDetails = serializers.SerializerMethodField()
    annotations = serializers.ListField(child=serializers.CharField(), default=list, read_only=True)
    stats = serializers.SerializerMethodField()

    def get_shortId(self, issue) -> str:
        return issue.short_id

    def get_permalink(self, issue) -> str:
        return settings.BASE_URL + reverse("events:issue", args=[issue.pk])

    @extend_schema_field(NULLABLE_STRING)
    def get_substatus(self, issue) -> str | None:
        return shapes.substatus(issue)

    @extend_schema_field(FREE_OBJECT)
    def get_statusDetails(self, issue) -> dict:
        return shapes.status_details(issue)

    def get_count(self, issue) -> str:
        return str(issue.times_seen)

    @extend_schema_field(NULLABLE_STRING)
    def get_logger(self, issue) -> str | None:
        return None

    @extend_schema_field(NULLABLE_STRING)
    def get_shareId(self, issue) -> str | None:
        return None

    @extend_schema_field({"type": "object", "nullable": True})
    def get_subscriptionDetails(self, issue) -> None:
        return None

    @extend_schema_field(STATS)
    def get_stats(self, issue) -> dict:
        return getattr(issue, "stats", {})


class ActivitySerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    type = serializers.SerializerMethodField()
    data = serializers.DictField()
    dateCreated = serializers.DateTimeField(source="created")
    user = UserSerializer(allow_null=True)

    def get_type(self, activity) -> str:
        return shapes.ACTIVITY_TYPES.get(activity.kind, activity.kind)


class ReleaseRefSerializer(serializers.Serializer):
    version = serializers.CharField()


class IssueDetailSerializer(IssueSerializer):
    activity = ActivitySerializer(many=True, source="recent_activity")
    firstRelease = serializers.SerializerMethodField()
    lastRelease = serializers.SerializerMethodField()
    userReportCount = serializers.IntegerField(default=0, read_only=True)
    participants = serializers.ListField(
        child=serializers.DictField(), default=list, read_only=True
    )
    seenBy = serializers.ListField(child=serializers.DictField(), default=list, read_only=True)

    @extend_schema_field(ReleaseRefSerializer(allow_null=True))
    def get_firstRelease(self, issue) -> dict | None:
        return {"version": issue.first_release} if issue.first_release else None

    @extend_schema_field(ReleaseRefSerializer(allow_null=True))
    def get_lastRelease(self, issue) -> dict | None:
        return {"version": issue.last_release} if issue.last_release else None


class IssueUpdateResultSerializer(serializers.Serializer):
    """What a bulk update changed, as Sentry answers it."""

    status = serializers.CharField(required=False)
    statusDetails = serializers.DictField(required=False)
    assignedTo = AssigneeSerializer(required=False, allow_null=True)


class TagPairSerializer(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.CharField()


class EventSerializer(serializers.Serializer):
    id = serializers.CharField(source="event_id")
    eventID = serializers.CharField(source="event_id")
    groupID = serializers.CharField(source="issue_id")
    projectID = serializers.CharField(source="project_id")
    title = serializers.CharField(source="issue.title")
    message = serializers.CharField()
    platform = serializers.CharField()
    level = serializers.CharField()
    environment = serializers.CharField()
    dateCreated = serializers.DateTimeField(source="timestamp")
    dateReceived = serializers.DateTimeField(source="received")
    tags = serializers.SerializerMethodField()

    @extend_schema_field(TagPairSerializer(many=True))
    def get_tags(self, event) -> list:
        return shapes.tag_pairs(event.tags)


class EventDetailSerializer(EventSerializer):
    culprit = serializers.CharField(source="issue.culprit")
    release = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()
    entries = serializers.SerializerMethodField()
    contexts = serializers.SerializerMethodField()
    sdk = serializers.SerializerMethodField()
    fingerprints = serializers.SerializerMethodField()
    errors = serializers.ListField(child=serializers.DictField(), default=list, read_only=True)
    nextEventID = serializers.CharField(source="nav.newer", allow_null=True, default=None)
    previousEventID = serializers.CharField(source="nav.older", allow_null=True, default=None)

    @extend_schema_field(ReleaseRefSerializer(allow_null=True))
    def get_release(self, event) -> dict | None:
        return {"version": event.release} if event.release else None

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": True})
    def get_user(self, event) -> dict | None:
        return shapes.as_dict(event.data.get("user")) or None

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "data": {}},
                "required": ["type", "data"],
            },
        }
    )
    def get_entries(self, event) -> list:
        return shapes.entries(event.data)

    @extend_schema_field(FREE_OBJECT)
    def get_contexts(self, event) -> dict:
        return shapes.as_dict(event.data.get("contexts"))

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": True})
    def get_sdk(self, event) -> dict | None:
        return shapes.as_dict(event.data.get("sdk")) or None

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_fingerprints(self, event) -> list:
        return [str(f) for f in event.data.get("fingerprint") or [] if f is not None]


class TagValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    value = serializers.CharField()
    count = serializers.IntegerField()


class TagFacetSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    totalValues = serializers.IntegerField()
    uniqueValues = serializers.IntegerField()
    topValues = TagValueSerializer(many=True)


class DsnSerializer(serializers.Serializer):
    public = serializers.CharField()
    secret = serializers.CharField()


class RateLimitSerializer(serializers.Serializer):
    window = serializers.IntegerField()
    count = serializers.IntegerField()


class ProjectKeySerializer(serializers.Serializer):
    id = serializers.CharField(source="public_key")
    name = serializers.CharField(source="label")
    label = serializers.CharField()
    public = serializers.CharField(source="public_key")
    secret = serializers.CharField(source="secret_key")
    projectId = serializers.IntegerField(source="project_id")
    isActive = serializers.BooleanField(source="is_active")
    dateCreated = serializers.DateTimeField(source="created")
    dsn = serializers.SerializerMethodField()
    rateLimit = serializers.SerializerMethodField()

    @extend_schema_field(DsnSerializer)
    def get_dsn(self, key) -> dict:
        return {"public": key.dsn(), "secret": key.secret_dsn()}

    @extend_schema_field(RateLimitSerializer(allow_null=True))
    def get_rateLimit(self, key) -> dict | None:
        if key.rate_limit_per_minute is None:
            return None
        return {"window": 60, "count": key.rate_limit_per_minute}


class RootSerializer(serializers.Serializer):
    version = serializers.CharField()
    auth = serializers.SerializerMethodField()
    user = UserSerializer(allow_null=True)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"scopes": {"type": "array", "items": {"type": "string"}}},
            "required": ["scopes"],
        }
    )
    def get_auth(self, root) -> dict | None:
        return {"scopes": root["scopes"]} if root["scopes"] is not None else None


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(required=False, help_text="Field errors of a request body.")
