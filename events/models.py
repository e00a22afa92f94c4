"""Stored data: issues (groups of events), events, and the counters the dashboard reads.

Rows here are written by one path, `events.processing.store.store_batch`; see there for how the
counters stay exact under concurrent workers and redelivered messages.
"""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from projects.models import Project

from . import shortids
from .fields import CompressedJSONField


class Issue(models.Model):
    class Status(models.TextChoices):
        UNRESOLVED = "unresolved", "Unresolved"
        RESOLVED = "resolved", "Resolved"
        IGNORED = "ignored", "Ignored"

    class Type(models.TextChoices):
        ERROR = "error", "Error"
        DEFAULT = "default", "Default"

    # No index of their own on the foreign keys below: each leads a composite index or
    # unique constraint already, and every index costs a write per stored event.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="issues", db_index=False
    )
    grouping_version = models.CharField(max_length=16)
    fingerprint = models.CharField(max_length=32, help_text="Grouping hash (32 hex).")
    title = models.CharField(max_length=255)
    culprit = models.CharField(max_length=200, blank=True, default="")
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.ERROR)
    level = models.CharField(max_length=16, default="error")
    platform = models.CharField(max_length=64, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNRESOLVED)
    first_seen = models.DateTimeField()  # the first event's own (client-side) timestamp
    last_seen = models.DateTimeField()
    # When this server made the issue: digests and "new since" questions use it, because an
    # SDK sending from an offline cache can stamp its events long before they arrive.
    created = models.DateTimeField(default=timezone.now)
    times_seen = models.PositiveBigIntegerField(default=0)
    # Events of this issue in the event table: past the project's cap only a sample is kept
    # (store.py), and retention deletes old ones (lifecycle.py); times_seen stays exact.
    stored_count = models.PositiveBigIntegerField(default=0)
    first_release = models.CharField(max_length=200, blank=True, default="")
    last_release = models.CharField(max_length=200, blank=True, default="")
    last_event_id = models.CharField(max_length=32, blank=True, default="")
    regressed = models.BooleanField(default=False)
    regressed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Resolved in a release (or in the next one after it): events of this release or an
    # older one leave the issue resolved; a newer release's event is a regression.
    # Database defaults: the batch write's bulk INSERT of new issues leaves them out.
    resolved_in_release = models.CharField(max_length=200, blank=True, db_default="")
    resolved_in_next_release = models.BooleanField(db_default=False)
    # An ignored issue comes back (unresolved) when either condition is met.
    ignore_until = models.DateTimeField(null=True, blank=True)
    ignore_until_count = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Unignore once times_seen reaches this."
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_issues",
    )
    # The number of the short id (WEB-12): from the project's counter, when the issue is made.
    short_number = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "grouping_version", "fingerprint"],
                name="unique_issue_fingerprint",
            ),
            models.UniqueConstraint(
                fields=["project", "short_number"], name="unique_issue_short_number"
            ),
        ]
        indexes = [
            # The issue list: one project's issues of one status in each sort order, with the
            # id as tie-breaker so a keyset cursor (sort key, id) is one index range scan.
            models.Index(fields=["project", "status", "last_seen", "id"], name="issue_list_idx"),
            models.Index(
                fields=["project", "status", "first_seen", "id"], name="issue_list_first_idx"
            ),
            models.Index(fields=["project", "created"], name="issue_created_idx"),
            models.Index(
                fields=["project", "status", "times_seen", "id"], name="issue_list_count_idx"
            ),
            # Status "all" in one project, and the list across projects (ordered scan, filtered).
            models.Index(fields=["project", "last_seen", "id"], name="issue_list_any_status_idx"),
            models.Index(fields=["status", "last_seen", "id"], name="issue_list_all_projects_idx"),
            # Full-text search: a GIN index on PostgreSQL only, see migration 0004.
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # The batch write numbers the issues it makes itself (processing/store.py); this is
        # for everything else (admin, factories, tests).
        if self._state.adding and self.short_number is None and self.project_id:
            with transaction.atomic():
                self.short_number = shortids.allocate(self.project_id, 1)
                return super().save(*args, **kwargs)
        return super().save(*args, **kwargs)

    @property
    def short_id(self) -> str:
        """WEB-SHOP-12: the project's slug and the issue's number in it (load the project)."""
        return shortids.format(self.project.slug, self.short_number or self.pk)


class Event(models.Model):
    # No database constraint and no cascade: deleting an issue or a project is instant, and
    # its events go afterwards in short batches (events/lifecycle.py, PendingDeletion); an
    # event whose issue is gone is never read, since every read goes through its issue.
    # It also spares the batch write two key checks per event.
    project = models.ForeignKey(
        Project, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    issue = models.ForeignKey(
        Issue,
        on_delete=models.DO_NOTHING,
        related_name="events",
        db_index=False,
        db_constraint=False,
    )
    event_id = models.CharField(max_length=32)
    timestamp = models.DateTimeField()
    received = models.DateTimeField()
    level = models.CharField(max_length=16)
    platform = models.CharField(max_length=64, blank=True, default="")
    release = models.CharField(max_length=200, blank=True, default="")
    environment = models.CharField(max_length=64, blank=True, default="")
    message = models.TextField(blank=True, default="")
    data = CompressedJSONField(help_text="The normalized, scrubbed payload.")
    tags = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            # Storage is exactly-once: a redelivered or re-sent event hits this and is skipped.
            models.UniqueConstraint(fields=["project", "event_id"], name="unique_event_id"),
        ]
        indexes = [
            # An issue's events, newest first (issue page, latest event, event navigation).
            models.Index(fields=["issue", "-timestamp"], name="event_issue_ts_idx"),
        ]

    def __str__(self) -> str:
        return self.event_id


class PendingDeletion(models.Model):
    """Events of a deleted issue or project, still to be deleted in the background: written
    in the transaction that deletes the issue or project, so no deletion is forgotten if
    the task that does it is lost (beat looks here too)."""

    class Kind(models.TextChoices):
        ISSUE = "issue"
        PROJECT = "project"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.BigIntegerField()
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"events of {self.kind} {self.object_id}"


class IssueTag(models.Model):
    """How often each tag value was seen on an issue: the facets on the issue page."""

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="tag_counts", db_index=False
    )
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=200)
    count = models.PositiveBigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "key", "value"], name="unique_issue_tag"),
        ]
        indexes = [
            # Issue list filters `environment:prod`, `tag:value`: issues having a tag value.
            models.Index(fields=["key", "value", "issue"], name="issuetag_value_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value} ({self.count})"


class IssueHourlyCount(models.Model):
    """Events per issue per hour: charts, sparklines and the frequency trigger."""

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="hourly_counts", db_index=False
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    hour = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "hour"], name="unique_issue_hour"),
        ]
        indexes = [
            # Project-wide charts (projects overview): all buckets of a project in a time range.
            models.Index(fields=["project", "hour"], name="hourly_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h: {self.count}"


class FailedPayload(models.Model):
    """A queued payload the pipeline could not store, kept (not dropped) with the reason, for
    the status page and `manage.py replayfailed`. `meta` and `body` are the queue message as
    read (events/queue), whatever failed it; rows from before that have no meta and the
    prepared event as JSON (ops/replay.py reads both)."""

    project_id = models.BigIntegerField(null=True)
    received = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    meta = models.BinaryField()
    body = models.BinaryField()

    def __str__(self) -> str:
        return f"failed payload {self.pk}: {self.reason[:60]}"


class Activity(models.Model):
    """The issue page's log: every state change, by whom (None: the system) and when."""

    class Kind(models.TextChoices):
        RESOLVED = "resolved", "resolved the issue"
        UNRESOLVED = "unresolved", "marked the issue unresolved"
        IGNORED = "ignored", "ignored the issue"
        ASSIGNED = "assigned", "assigned the issue"
        UNASSIGNED = "unassigned", "unassigned the issue"
        REGRESSED = "regressed", "issue regressed: a new event after it was resolved"
        UNIGNORED = "unignored", "issue came back: its ignore condition was met"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="activities")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The issue page: one issue's latest activity.
            models.Index(fields=["issue", "-created"], name="activity_issue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on issue {self.issue_id}"
