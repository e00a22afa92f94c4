"""Notification rules in the shape of Sentry's issue alert rules, mapped onto our
`alerts.NotificationRule` and validated by the dashboard's own form (`alerts.forms.RuleForm`),
so the API and the dashboard accept and refuse the same rules.

The mapping, where our model and Sentry's differ:
- conditions (our triggers) always combine with `actionMatch: "any"`; filters always with
  `filterMatch: "all"` ("all" or "none" with several conditions, "any" or "none" with several
  filters are refused, not silently changed);
- Sentry's frequency condition fires at *more than* `value` events; ours at N or more, so our
  N is `value + 1`; `interval` is `Nm`, `Nh` or `1d` (at most a day);
- `frequency` is our throttle: minutes between notifications per issue (0 to 10080);
- `environment` is the single environment of the rule (null: any, or several: then see
  `environments`, our extension, a list);
- the release glob, the email to listed addresses, the webhook and the user feedback trigger
  are our own ids (`aggregator.rules...`); everything else uses Sentry's ids;
- the webhook action's `includeReporterEmail` (our extension) puts the email of a user who
  sends feedback in the webhook's body (members' emails always show it).
"""

from __future__ import annotations

import re

from rest_framework import serializers as drf

from alerts.forms import RuleForm
from alerts.models import NotificationRule

FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"
REGRESSION = "sentry.rules.conditions.regression_event.RegressionEventCondition"
FREQUENCY = "sentry.rules.conditions.event_frequency.EventFrequencyCondition"
EVERY_EVENT = "sentry.rules.conditions.every_event.EveryEventCondition"
FEEDBACK = "aggregator.rules.conditions.user_feedback.UserFeedbackCondition"
LEVEL = "sentry.rules.filters.level.LevelFilter"
TAGGED = "sentry.rules.filters.tagged_event.TaggedEventFilter"
ATTRIBUTE = "sentry.rules.filters.event_attribute.EventAttributeFilter"
RELEASE = "aggregator.rules.filters.release.ReleaseGlobFilter"
EMAIL = "sentry.mail.actions.NotifyEmailAction"
ADDRESS = "aggregator.rules.actions.EmailAddressAction"
WEBHOOK = "aggregator.rules.actions.WebhookAction"

LEVEL_NUMBERS = {"fatal": "50", "error": "40", "warning": "30", "info": "20", "debug": "10"}
LEVEL_NAMES = {number: name for name, number in LEVEL_NUMBERS.items()}
_INTERVAL = re.compile(r"^(\d{1,5})([mhd])$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440}
TRIGGERS = ("on_new_issue", "on_regression", "on_frequency", "on_every_event", "on_feedback")
FILTERS = ("min_level", "release", "tag_key", "text_contains")
# Form fields -> the API field a client should fix.
API_FIELD = {
    "name": "name", "enabled": "status", "throttle_minutes": "frequency",
    "on_new_issue": "conditions", "on_regression": "conditions", "on_frequency": "conditions",
    "frequency_count": "conditions", "frequency_minutes": "conditions",
    "on_every_event": "conditions", "on_feedback": "conditions", "min_level": "filters", "release": "filters",
    "tag_key": "filters", "tag_value": "filters", "text_contains": "filters",
    "environments": "environments", "email_to": "actions", "email_members": "actions",
    "email_addresses": "actions", "webhook_url": "actions",
    "feedback_email_in_webhook": "actions", "__all__": "non_field_errors",
}  # fmt: skip


def refuse(field: str, message: str) -> drf.ValidationError:
    return drf.ValidationError({field: [message]})


def interval_text(minutes: int) -> str:
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def _minutes(interval: str | None) -> int:
    match = _INTERVAL.match(interval or "")
    if not match:
        raise refuse("conditions", "interval must look like 5m, 1h or 1d.")
    return int(match[1]) * _UNIT_MINUTES[match[2]]


def _count(value: str | None) -> int:
    if value is None or not re.fullmatch(r"\d{1,9}", value):
        raise refuse("conditions", "value must be a whole number of events, 0 or more.")
    return int(value) + 1  # Sentry: more than `value`; ours: at least N


def _conditions(items: list[dict]) -> dict:
    fields = {name: False for name in TRIGGERS}
    fields.update(frequency_count=None, frequency_minutes=None)
    flags = {
        FIRST_SEEN: "on_new_issue",
        REGRESSION: "on_regression",
        EVERY_EVENT: "on_every_event",
        FEEDBACK: "on_feedback",
    }
    for item in items:
        kind = item["id"]
        if kind in flags:
            fields[flags[kind]] = True
        elif kind == FREQUENCY:
            if fields["on_frequency"]:
                raise refuse("conditions", "At most one frequency condition.")
            if item.get("comparisonType", "count") != "count":
                raise refuse("conditions", 'Only comparisonType "count" is supported.')
            fields.update(
                on_frequency=True,
                frequency_count=_count(item.get("value")),
                frequency_minutes=_minutes(item.get("interval")),
            )
        else:
            raise refuse("conditions", f"Unknown condition {kind!r}.")
    return fields


def _level(item: dict) -> str:
    if item.get("match", "gte") != "gte":
        raise refuse("filters", 'The level filter supports match "gte" only (at or above).')
    level = LEVEL_NAMES.get(item.get("level") or "", item.get("level"))
    if level == "debug":
        raise refuse("filters", "Debug or above matches every event: leave the filter out.")
    if level not in NotificationRule.Level.values or not level:
        raise refuse("filters", "level must be one of 20, 30, 40, 50 (info to fatal).")
    return level


def _filters(items: list[dict]) -> dict:
    fields = dict.fromkeys(FILTERS, "") | {"tag_value": ""}

    def put(name: str, value: str | None, label: str):
        if fields[name]:
            raise refuse("filters", f"At most one {label} filter.")
        fields[name] = value or ""

    for item in items:
        kind = item["id"]
        if kind == LEVEL:
            put("min_level", _level(item), "level")
        elif kind == RELEASE:
            put("release", item.get("value"), "release")
        elif kind == TAGGED:
            if item.get("match", "eq") != "eq":
                raise refuse("filters", 'The tag filter supports match "eq" only.')
            if not item.get("key"):
                raise refuse("filters", "Name the tag to compare (key).")
            put("tag_key", item.get("key"), "tag")
            fields["tag_value"] = item.get("value") or ""
        elif kind == ATTRIBUTE:
            if item.get("attribute") != "message" or item.get("match", "co") != "co":
                raise refuse("filters", 'Only attribute "message" with match "co" is supported.')
            put("text_contains", item.get("value"), "message")
        else:
            raise refuse("filters", f"Unknown filter {kind!r}.")
    return fields


def _email(item: dict, fields: dict):
    target = item.get("targetType")
    if target == "IssueOwners":
        if item.get("fallthroughType") not in (None, "AllMembers", "ActiveMembers"):
            raise refuse("actions", 'Issue owners fall through to "AllMembers" here.')
        fields["email_to"] = NotificationRule.EmailTo.ALL_MEMBERS
    elif target == "Member":
        ident = item.get("targetIdentifier")
        if ident is None or not re.fullmatch(r"\d{1,18}", ident):
            raise refuse("actions", "targetIdentifier must be a member's user id.")
        fields["email_members"].append(ident)
    else:
        raise refuse("actions", 'targetType must be "IssueOwners" or "Member" (no teams here).')


def _actions(items: list[dict]) -> dict:
    fields = {"email_to": "", "email_members": [], "email_addresses": [], "webhook_url": ""}
    fields["feedback_email_in_webhook"] = False
    for item in items:
        kind = item["id"]
        if kind == EMAIL:
            _email(item, fields)
        elif kind == ADDRESS:
            if not item.get("address") or "," in item["address"]:
                raise refuse("actions", "Each address action needs one address.")
            fields["email_addresses"].append(item["address"])
        elif kind == WEBHOOK:
            if fields["webhook_url"] or not item.get("url"):
                raise refuse("actions", "One webhook action at most, with a url.")
            fields["webhook_url"] = item["url"]
            fields["feedback_email_in_webhook"] = bool(item.get("includeReporterEmail"))
        else:
            raise refuse("actions", f"Unknown action {kind!r}.")
    if fields["email_members"]:
        if fields["email_to"]:
            raise refuse("actions", "Email all members (IssueOwners) or chosen members, not both.")
        fields["email_to"] = NotificationRule.EmailTo.CHOSEN
    return fields


def current_data(rule: NotificationRule | None) -> dict:
    """The form data the dashboard would post for the rule as it is (defaults when new)."""
    rule = rule or NotificationRule()
    data = {name: getattr(rule, name) for name in RuleForm._meta.fields if name != "email_members"}
    data["email_members"] = [str(u.pk) for u in rule.email_members.all()] if rule.pk else []
    return data


def _check_list(field: str, values: list[str]):
    if any("," in v or "\n" in v for v in values):
        raise refuse(field, "Entries cannot contain commas or line breaks.")


def form_data(rule: NotificationRule | None, body: dict) -> dict:
    """The dashboard form's data for the rule changed by an API body (`RuleInput`)."""
    data = current_data(rule)
    if "name" in body:
        data["name"] = body["name"]
    if "frequency" in body:
        data["throttle_minutes"] = body["frequency"]
    if "status" in body:
        data["enabled"] = body["status"] == "active"
    if "conditions" in body:
        data.update(_conditions(body["conditions"]))
    if "filters" in body:
        data.update(_filters(body["filters"]))
    if "actions" in body:
        data.update(_actions(body["actions"]))
    if "environments" in body:
        data["environments"] = body["environments"]
    elif "environment" in body:
        data["environments"] = [body["environment"]] if body["environment"] else []
    _check_list("environments", data["environments"])
    triggers = sum(bool(data[name]) for name in TRIGGERS)
    if body.get("actionMatch") == "none" or (body.get("actionMatch") == "all" and triggers > 1):
        raise refuse("actionMatch", 'Conditions combine with "any" (one is "all" too).')
    filters = sum(bool(data[name]) for name in FILTERS) + bool(data["environments"])
    if body.get("filterMatch") == "none" or (body.get("filterMatch") == "any" and filters > 1):
        raise refuse("filterMatch", 'Filters combine with "all" (one is "any" too).')
    for name in ("environments", "email_addresses"):
        data[name] = "\n".join(data[name])  # the form's text list
    return {k: v for k, v in data.items() if v is not None and v is not False}


def form_errors(form: RuleForm) -> drf.ValidationError:
    errors: dict[str, list[str]] = {}
    for name, messages in form.errors.items():
        errors.setdefault(API_FIELD.get(name, name), []).extend(messages)
    return drf.ValidationError(errors)
