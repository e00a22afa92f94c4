"""Per-user notification preferences, and the digest periods already sent (exactly once)."""

from django.conf import settings
from django.db import models


class NotificationSettings(models.Model):
    class Frequency(models.TextChoices):
        OFF = "off", "Off"
        HOURLY = "hourly", "Hourly"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    immediate_email = models.BooleanField(
        default=True, help_text="Emails from notification rules as issues happen."
    )
    # Projects this user hears nothing about, neither immediately nor in digests.
    muted_projects = models.ManyToManyField("projects.Project", blank=True, related_name="+")
    digest_frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.DAILY
    )
    digest_hour = models.PositiveSmallIntegerField(default=8, help_text="Local hour, 0-23.")
    digest_weekday = models.PositiveSmallIntegerField(default=0, help_text="0 = Monday.")
    timezone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return f"notification settings of {self.user}"


class DigestRecord(models.Model):
    """One row per (user, period): the unique constraint is what makes sending exactly once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    issue_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "period_end"], name="unique_digest_period"),
        ]
        indexes = [models.Index(fields=["user", "-period_end"])]

    def __str__(self) -> str:
        return f"digest for {self.user_id} up to {self.period_end:%Y-%m-%d %H:%M}"
