"""Cron monitors and their check-ins. A monitor is made or updated by a check-in (its
`monitor_config`) or on the dashboard; beat finds the ones whose check-in is overdue
(monitors/beat.py) by one indexed query on `deadline`."""

from django.db import models
from django.utils import timezone as dj_timezone

from events.models import Issue
from projects.models import Project


class Status(models.TextChoices):
    """A check-in's status, and a monitor's last one."""

    OK = "ok", "ok"
    ERROR = "error", "error"
    IN_PROGRESS = "in_progress", "in progress"
    MISSED = "missed", "missed"
    TIMEOUT = "timeout", "timeout"


FAILURES = (Status.ERROR, Status.MISSED, Status.TIMEOUT)


class Monitor(models.Model):
    class ScheduleType(models.TextChoices):
        NONE = "", "needs schedule"
        CRONTAB = "crontab", "crontab"
        INTERVAL = "interval", "interval"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="monitors")
    slug = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    muted = models.BooleanField(default=False, help_text="Check-ins are recorded, no issues.")
    schedule_type = models.CharField(
        max_length=10, choices=ScheduleType.choices, blank=True, default=""
    )
    crontab = models.CharField(max_length=100, blank=True, default="")
    interval_value = models.PositiveIntegerField(null=True, blank=True)
    interval_unit = models.CharField(max_length=10, blank=True, default="")
    timezone = models.CharField(max_length=64, default="UTC")
    checkin_margin = models.PositiveIntegerField(default=1, help_text="Minutes.")
    max_runtime = models.PositiveIntegerField(default=30, help_text="Minutes.")
    failure_threshold = models.PositiveIntegerField(default=1)
    recovery_threshold = models.PositiveIntegerField(default=1)
    # Health (monitors/health.py): consecutive failures and OKs, and an open incident.
    failures = models.PositiveIntegerField(default=0)
    oks = models.PositiveIntegerField(default=0)
    failing = models.BooleanField(default=False)
    last_status = models.CharField(max_length=12, choices=Status.choices, blank=True, default="")
    last_checkin = models.DateTimeField(null=True, blank=True)
    next_expected = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)  # next_expected + margin
    issue = models.ForeignKey(
        Issue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "slug"], name="unique_monitor_slug"),
        ]
        indexes = [
            # Beat's pass: the monitors whose check-in is overdue (monitors/beat.py).
            models.Index(fields=["deadline"], name="monitor_deadline_idx"),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def has_schedule(self) -> bool:
        return bool(self.schedule_type)


class CheckIn(models.Model):
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="checkins")
    check_in_id = models.CharField(max_length=32)
    status = models.CharField(max_length=12, choices=Status.choices)
    environment = models.CharField(max_length=64, blank=True, default="")
    release = models.CharField(max_length=200, blank=True, default="")
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    received = models.DateTimeField(default=dj_timezone.now)
    updated = models.DateTimeField(default=dj_timezone.now)
    expected = models.DateTimeField(null=True, blank=True)  # for missed check-ins
    timeout_at = models.DateTimeField(null=True, blank=True)  # in progress: when it times out

    class Meta:
        indexes = [
            # The monitor page's timeline, newest first; a check-in id's earlier check-in.
            models.Index(fields=["monitor", "-received"], name="checkin_monitor_idx"),
            models.Index(fields=["monitor", "check_in_id"], name="checkin_id_idx"),
            # Beat's timeout pass: in-progress check-ins past their max runtime.
            models.Index(fields=["timeout_at"], name="checkin_timeout_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.status} at {self.received:%Y-%m-%d %H:%M}"
