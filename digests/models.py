"""Per-user notification preferences, and the digest periods already sent (exactly once)."""

from django.conf import settings
from django.core.validators import MaxValueValidator
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
    digest_hour = models.PositiveSmallIntegerField(
        default=8, validators=[MaxValueValidator(23)], help_text="Local hour, 0-23."
    )
    digest_weekday = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(6)], help_text="0 = Monday."
    )
    timezone = models.CharField(max_length=64, default="UTC")
    # When digests were last turned on: the first digest after that starts no earlier, so
    # turning them back on after a while does not bring up everything in between.
    digest_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"notification settings of {self.user}"


class DigestRecord(models.Model):
    """One row per (user, period): the unique constraint is what makes sending exactly once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)
    # Set once the mail server accepted the message (or at the claim, for an empty period,
    # which is recorded so the next digest starts after it but nothing is sent).
    sent_at = models.DateTimeField(null=True, blank=True)
    issue_count = models.PositiveIntegerField(default=0)
    # Sending: each attempt leases the record until `retry_after`; a failed or interrupted
    # send is retried by a later beat once the lease has passed, up to a limit.
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_after = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "period_end"], name="unique_digest_period"),
        ]
        indexes = [
            models.Index(fields=["user", "-period_end"]),
            # The retry sweep: unsent records only.
            models.Index(
                fields=["retry_after"],
                condition=models.Q(sent_at__isnull=True),
                name="digest_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"digest for {self.user_id} up to {self.period_end:%Y-%m-%d %H:%M}"
