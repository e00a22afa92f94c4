"""What users wrote about a problem: the feedback widget, `captureFeedback`, legacy user
reports, the crash-report dialog and the API, all as one kind of row. The link to an issue
is the event id: feedback that arrives before its event waits (`issue` empty) until the
event is stored (feedback/receivers.py)."""

from django.db import models
from django.utils import timezone

from events.models import Issue
from projects.models import Project


class Feedback(models.Model):
    class Source(models.TextChoices):
        WIDGET = "feedback", "feedback widget / captureFeedback"
        USER_REPORT = "user_report", "user report (legacy SDK API)"
        DIALOG = "dialog", "crash-report dialog"
        API = "api", "REST API"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    feedback_id = models.CharField(max_length=32)
    event_id = models.CharField(max_length=32, blank=True, default="")  # the event it is about
    issue = models.ForeignKey(
        Issue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField()
    name = models.CharField(max_length=128, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")  # personal: members only
    url = models.CharField(max_length=1000, blank=True, default="")
    environment = models.CharField(max_length=64, blank=True, default="")
    release = models.CharField(max_length=200, blank=True, default="")
    source = models.CharField(max_length=12, choices=Source.choices)
    received = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # A redelivered or re-sent feedback is stored once.
            models.UniqueConstraint(fields=["project", "feedback_id"], name="unique_feedback_id"),
        ]
        indexes = [
            # The project's feedback list and the issue page's panel, newest first.
            models.Index(fields=["project", "-received"], name="feedback_project_idx"),
            models.Index(fields=["issue", "-received"], name="feedback_issue_idx"),
            # Feedback waiting for its event (feedback/receivers.py, once per stored batch).
            models.Index(
                fields=["event_id"],
                name="feedback_pending_idx",
                condition=models.Q(issue__isnull=True) & ~models.Q(event_id=""),
            ),
        ]

    def __str__(self) -> str:
        return self.message[:60]
