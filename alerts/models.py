"""Notification rules of a project, what they delivered, and the small counters behind
the throttle and the frequency trigger."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from events.models import Issue
from projects.models import Project

LEVELS = ["debug", "info", "warning", "error", "fatal"]


class NotificationRule(models.Model):
    class Level(models.TextChoices):
        ANY = "", "any level"
        INFO = "info", "info or above"
        WARNING = "warning", "warning or above"
        ERROR = "error", "error or above"
        FATAL = "fatal", "fatal"

    class EmailTo(models.TextChoices):
        NOBODY = "", "nobody"
        ALL_MEMBERS = "all", "all project members"
        CHOSEN = "chosen", "chosen members"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    # Triggers: any that is on makes the rule fire.
    on_new_issue = models.BooleanField("a new issue is created", default=False)
    on_regression = models.BooleanField("a resolved issue comes back", default=False)
    on_frequency = models.BooleanField("an issue passes N events in M minutes", default=False)
    frequency_count = models.PositiveIntegerField(
        "N events", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    frequency_minutes = models.PositiveIntegerField(
        "M minutes",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
    )
    on_every_event = models.BooleanField("every event", default=False)
    # User feedback (the feedback app) on an issue of the project, sent through
    # events.signals.feedback_received. The reporter's email is personal data: members'
    # emails show it, webhooks only with feedback_email_in_webhook.
    on_feedback = models.BooleanField("a user sends feedback about an issue", default=False)
    feedback_email_in_webhook = models.BooleanField(
        "include the reporter's email in webhooks", default=False
    )
    # Filters: all that are set must match the issue and its newest event.
    min_level = models.CharField(max_length=10, choices=Level.choices, blank=True, default="")
    environments = models.JSONField(default=list, blank=True)
    release = models.CharField(
        max_length=200, blank=True, default="", help_text="Glob pattern, e.g. 2.* or myapp@1.4.*"
    )
    tag_key = models.CharField(max_length=200, blank=True, default="")
    tag_value = models.CharField(max_length=200, blank=True, default="")
    text_contains = models.CharField(
        max_length=200, blank=True, default="", help_text="In the title or message, any case."
    )
    # Actions.
    email_to = models.CharField(max_length=10, choices=EmailTo.choices, blank=True, default="")
    email_members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    email_addresses = models.JSONField(default=list, blank=True)
    webhook_url = models.URLField(max_length=500, blank=True, default="")
    throttle_minutes = models.PositiveIntegerField(
        default=30, validators=[MaxValueValidator(7 * 24 * 60)]
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # Evaluation: the enabled rules of the projects in a batch.
            models.Index(fields=["project", "enabled"], name="alertrule_project_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def triggers(self) -> list[str]:
        out = []
        if self.on_new_issue:
            out.append("new issue")
        if self.on_regression:
            out.append("regression")
        if self.on_frequency:
            out.append(f"{self.frequency_count} events in {self.frequency_minutes} min")
        if self.on_every_event:
            out.append("every event")
        if self.on_feedback:
            out.append("user feedback")
        return out


class RuleIssueState(models.Model):
    """One row per (rule, issue): when the rule last notified about the issue. A conditional
    UPDATE on it is the throttle, so concurrent workers cannot both send."""

    rule = models.ForeignKey(NotificationRule, on_delete=models.CASCADE, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    last_notified = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "issue"], name="unique_rule_issue_state"),
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} on issue {self.issue_id}: {self.last_notified:%H:%M}"


class IssueMinuteCount(models.Model):
    """Events per issue per minute for the frequency trigger; kept for a day at most."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "minute"], name="unique_issue_minute"),
        ]
        indexes = [
            # Pruning minutes older than a day, across all issues.
            models.Index(fields=["minute"], name="issueminute_minute_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M}: {self.count}"


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    class Reason(models.TextChoices):
        NEW_ISSUE = "new_issue", "new issue"
        REGRESSION = "regression", "regression"
        FREQUENCY = "frequency", "frequency"
        EVENT = "event", "event"
        FEEDBACK = "feedback", "user feedback"

    # A deleted rule keeps its deliveries (the issue's history), by name.
    rule = models.ForeignKey(
        NotificationRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    rule_name = models.CharField(max_length=100)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="alert_deliveries")
    event_id = models.CharField(max_length=32, blank=True, default="")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    # For feedback: what the user wrote (message, name, url; email only where it may go).
    feedback = models.JSONField(default=dict, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.CharField(max_length=500)
    # Set for project members, so the mail can carry their own unsubscribe link.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The issue page and the project's rules page: newest deliveries first.
            models.Index(fields=["issue", "-created"], name="delivery_issue_idx"),
            models.Index(fields=["project", "-created"], name="delivery_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.shown_target()}: {self.status}"

    def shown_target(self) -> str:
        """Webhook URLs often carry a secret token (Slack's do): show only the host."""
        if self.channel == self.Channel.WEBHOOK:
            parts = urlsplit(self.target)
            return f"{parts.scheme}://{parts.hostname or '?'}/…"
        return self.target
