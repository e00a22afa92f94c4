"""What became of every event that arrived: hourly counters per project, category,
outcome and reason (never a row per event)."""

from django.db import models

from projects.models import Project


class Outcome(models.TextChoices):
    # Sentry's names, so dashboards built on its stats API read ours.
    ACCEPTED = "accepted", "Accepted"
    FILTERED = "filtered", "Filtered"
    RATE_LIMITED = "rate_limited", "Rate limited"
    INVALID = "invalid", "Invalid"
    CLIENT_DISCARD = "client_discard", "Dropped by the client"


class OutcomeCount(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()  # the start of the hour, UTC
    category = models.CharField(max_length=32)  # error, transaction, attachment, session...
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=64, blank=True, default="")
    quantity = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "hour", "category", "outcome", "reason"],
                name="unique_outcome_bucket",
            )
        ]
        indexes = [models.Index(fields=["hour"], name="outcome_hour")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.hour:%Y-%m-%d %H}h {self.category} {self.outcome}"
