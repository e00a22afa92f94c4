"""Request and response shapes of notification rules (see `rules.py` for the mapping)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers as drf

from alerts.models import Delivery, NotificationRule

from . import rules


class Text(drf.CharField):
    """A string (DRF refuses null characters and lone surrogates) of bounded length; the
    dashboard's form has the real limits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 1000)
        super().__init__(**kwargs)


KINDS = {
    "conditions": f"Any of them fires the rule: `{rules.FIRST_SEEN}`, `{rules.REGRESSION}`, "
    f"`{rules.EVERY_EVENT}`, `{rules.FEEDBACK}` (a user sends feedback about an issue), "
    f"`{rules.FREQUENCY}` with `value` (fires at more than `value` events), `interval` "
    "(`Nm`, `Nh`, `1d`) and `comparisonType` `count`.",
    "filters": f"All must match: `{rules.LEVEL}` with `match` `gte` and `level` 20-50; "
    f"`{rules.TAGGED}` with `key`, `match` `eq`, `value`; `{rules.ATTRIBUTE}` with "
    f"`attribute` `message`, `match` `co`, `value`; `{rules.RELEASE}` with a glob `value`.",
    "actions": f"`{rules.EMAIL}` with `targetType` `IssueOwners` (`fallthroughType` "
    "`AllMembers`: all members) or `Member` and the user id as `targetIdentifier`; "
    f"`{rules.ADDRESS}` with `address`; `{rules.WEBHOOK}` with `url` (one) and "
    "`includeReporterEmail` (the email of a user who sends feedback in its body; false "
    "when left out).",
}
MATCH = ["all", "any", "none"]
RULE_STATUS = ["active", "disabled"]


class ItemInput(drf.Serializer):
    """One condition, filter or action: `id` names the kind, the other keys depend on it
    (unknown keys, such as the `name` label of a read rule, are ignored)."""

    id = Text(max_length=200)
    value = Text(required=False, allow_blank=True, allow_null=True)
    interval = Text(required=False, allow_null=True, max_length=20)
    comparisonType = Text(required=False, allow_null=True, max_length=20)
    match = Text(required=False, allow_null=True, max_length=20)
    level = Text(required=False, allow_null=True, max_length=20)
    key = Text(required=False, allow_blank=True, allow_null=True)
    attribute = Text(required=False, allow_null=True, max_length=100)
    targetType = Text(required=False, allow_null=True, max_length=50)
    targetIdentifier = Text(required=False, allow_null=True, max_length=50)
    fallthroughType = Text(required=False, allow_null=True, max_length=50)
    address = Text(required=False, allow_blank=True, allow_null=True)
    url = Text(required=False, allow_blank=True, allow_null=True)
    includeReporterEmail = drf.BooleanField(required=False)


class RuleInput(drf.Serializer):
    name = Text(max_length=100, required=False)
    actionMatch = drf.ChoiceField(MATCH, required=False, help_text='Only "any" here.')
    filterMatch = drf.ChoiceField(MATCH, required=False, help_text='Only "all" here.')
    conditions = ItemInput(many=True, required=False, max_length=20, help_text=KINDS["conditions"])
    filters = ItemInput(many=True, required=False, max_length=20, help_text=KINDS["filters"])
    actions = ItemInput(many=True, required=False, max_length=100, help_text=KINDS["actions"])
    frequency = drf.IntegerField(
        required=False, help_text="Minutes between notifications about one issue (0-10080)."
    )
    environment = Text(required=False, allow_null=True, allow_blank=True, max_length=64)
    environments = drf.ListField(
        child=Text(max_length=64), required=False, max_length=50,
        help_text="Our extension: several environments (replaces `environment`).",
    )  # fmt: skip
    status = drf.ChoiceField(RULE_STATUS, required=False)


class NewRuleInput(RuleInput):
    name = Text(max_length=100)
    conditions = ItemInput(many=True, max_length=20, help_text=KINDS["conditions"])
    actions = ItemInput(many=True, max_length=100, help_text=KINDS["actions"])


ITEMS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
        "required": ["id", "name"],
        "additionalProperties": True,
    },
}
LEVEL_LABELS = dict(NotificationRule.Level.choices)


def items(part: str) -> dict:
    return {**ITEMS, "description": KINDS[part]}


class RuleSerializer(drf.Serializer):
    id = drf.CharField(source="pk")
    name = drf.CharField()
    actionMatch = drf.CharField(default="any", read_only=True)
    filterMatch = drf.CharField(default="all", read_only=True)
    conditions = drf.SerializerMethodField()
    filters = drf.SerializerMethodField()
    actions = drf.SerializerMethodField()
    frequency = drf.IntegerField(source="throttle_minutes")
    environment = drf.SerializerMethodField()
    environments = drf.ListField(child=drf.CharField())
    status = drf.SerializerMethodField()
    projects = drf.SerializerMethodField()
    owner = drf.CharField(default=None, read_only=True, allow_null=True)
    createdBy = drf.DictField(default=None, read_only=True, allow_null=True)
    dateCreated = drf.DateTimeField(source="created")
    dateModified = drf.DateTimeField(source="updated")

    @extend_schema_field(items("conditions"))
    def get_conditions(self, rule) -> list:
        out = []
        if rule.on_new_issue:
            out.append({"id": rules.FIRST_SEEN, "name": "A new issue is created"})
        if rule.on_regression:
            out.append({"id": rules.REGRESSION, "name": "The issue changes state from "
                        "resolved to unresolved"})  # fmt: skip
        if rule.on_frequency:
            value = max((rule.frequency_count or 1) - 1, 0)
            interval = rules.interval_text(rule.frequency_minutes or 1)
            out.append({"id": rules.FREQUENCY, "value": value, "interval": interval,
                        "comparisonType": "count",
                        "name": f"The issue is seen more than {value} times in {interval}"})  # fmt: skip
        if rule.on_every_event:
            out.append({"id": rules.EVERY_EVENT, "name": "An event is seen"})
        if rule.on_feedback:
            out.append({"id": rules.FEEDBACK, "name": "A user sends feedback about an issue"})
        return out

    @extend_schema_field(items("filters"))
    def get_filters(self, rule) -> list:
        out = []
        if rule.min_level:
            out.append({"id": rules.LEVEL, "match": "gte",
                        "level": rules.LEVEL_NUMBERS[rule.min_level],
                        "name": f"The event's level is {LEVEL_LABELS[rule.min_level]}"})  # fmt: skip
        if rule.release:
            out.append({"id": rules.RELEASE, "value": rule.release,
                        "name": f"The event's release matches {rule.release}"})  # fmt: skip
        if rule.tag_key:
            out.append({"id": rules.TAGGED, "key": rule.tag_key, "match": "eq",
                        "value": rule.tag_value,
                        "name": f"The event's tags match {rule.tag_key} equals {rule.tag_value}"})  # fmt: skip
        if rule.text_contains:
            out.append({"id": rules.ATTRIBUTE, "attribute": "message", "match": "co",
                        "value": rule.text_contains,
                        "name": f"The event's title or message contains {rule.text_contains}"})  # fmt: skip
        return out

    @extend_schema_field(items("actions"))
    def get_actions(self, rule) -> list:
        out = []
        if rule.email_to == NotificationRule.EmailTo.ALL_MEMBERS:
            out.append({"id": rules.EMAIL, "targetType": "IssueOwners", "targetIdentifier": None,
                        "fallthroughType": "AllMembers",
                        "name": "Send a notification to all members of the organization"})  # fmt: skip
        elif rule.email_to == NotificationRule.EmailTo.CHOSEN:
            for user in rule.email_members.all():
                out.append({"id": rules.EMAIL, "targetType": "Member", "targetIdentifier": user.pk,
                            "name": f"Send a notification to {user.email}"})  # fmt: skip
        for address in rule.email_addresses:
            out.append({"id": rules.ADDRESS, "address": address,
                        "name": f"Send a notification to {address}"})  # fmt: skip
        if rule.webhook_url:
            url = rule.webhook_url
            if not self.context.get("is_admin"):  # as on the rules page: its token is secret
                url = Delivery(channel=Delivery.Channel.WEBHOOK, target=url).shown_target()
            out.append({"id": rules.WEBHOOK, "url": url,
                        "includeReporterEmail": rule.feedback_email_in_webhook,
                        "name": "Post JSON with a Slack-compatible text field to a webhook"})  # fmt: skip
        return out

    @extend_schema_field({"type": "string", "nullable": True})
    def get_environment(self, rule) -> str | None:
        return rule.environments[0] if len(rule.environments) == 1 else None

    @extend_schema_field({"type": "string", "enum": ["active", "disabled"]})
    def get_status(self, rule) -> str:
        return "active" if rule.enabled else "disabled"

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_projects(self, rule) -> list:
        return [self.context["project"].slug]


class DeliverySerializer(drf.Serializer):
    """What a rule sent (our own shape: Sentry has no such list)."""

    id = drf.CharField(source="pk")
    issueId = drf.CharField(source="issue_id")
    eventId = drf.CharField(source="event_id")
    reason = drf.ChoiceField(choices=Delivery.Reason.choices)
    channel = drf.ChoiceField(choices=Delivery.Channel.choices)
    target = drf.CharField(source="shown_target")
    status = drf.ChoiceField(choices=Delivery.Status.choices)
    attempts = drf.IntegerField()
    lastError = drf.CharField(source="last_error")
    dateCreated = drf.DateTimeField(source="created")
    dateFinished = drf.DateTimeField(source="finished", allow_null=True)
