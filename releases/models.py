"""Releases (organization-wide versions), the projects they were seen in, deploys, and the
commits sentry-cli associates with them.

`ReleaseProject` rows and their counters are written by the worker's batch write
(`releases.worker`), in a few statements per batch; everything else by the API.
"""

from django.db import models
from django.utils import timezone

from projects.models import Organization, Project

MAX_VERSION = 200  # as Issue.first_release / Event.release


class Release(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ARCHIVED = "archived", "Archived"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="releases", db_index=False
    )
    version = models.CharField(max_length=MAX_VERSION)
    projects = models.ManyToManyField(Project, through="ReleaseProject", related_name="releases")
    date_created = models.DateTimeField(default=timezone.now)
    date_started = models.DateTimeField(null=True, blank=True)
    date_released = models.DateTimeField(null=True, blank=True)  # finalize
    url = models.URLField(max_length=500, blank=True, default="")
    ref = models.CharField(max_length=250, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    # The repository refs of `set-commits --commit/--auto` as sent: repository, commit,
    # previousCommit. We cannot ask a code host for the commits between them.
    refs = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="unique_release"),
        ]

    def __str__(self) -> str:
        return self.version


class ReleaseProject(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, db_index=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    # Counters the batch write keeps: issues first seen in this release, events, their span.
    new_groups = models.PositiveBigIntegerField(default=0)
    events = models.PositiveBigIntegerField(default=0)
    first_event = models.DateTimeField(null=True, blank=True)
    last_event = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "project"], name="unique_release_project"),
        ]

    def __str__(self) -> str:
        return f"{self.release_id} in {self.project_id}"


class Deploy(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="deploys")
    environment = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True, default="")
    url = models.URLField(max_length=500, blank=True, default="")
    date_started = models.DateTimeField(null=True, blank=True)
    date_finished = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.release} to {self.environment}"


class Repository(models.Model):
    """A code repository of the organization, as `set-commits` names it (local mode: the
    git remote's name, e.g. "origin"; --commit: "owner/name")."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="repositories", db_index=False
    )
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500, blank=True, default="")
    provider = models.CharField(max_length=64, blank=True, default="")
    date_created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_repository"),
        ]
        verbose_name_plural = "repositories"

    def __str__(self) -> str:
        return self.name


class Commit(models.Model):
    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="commits", db_index=False
    )
    key = models.CharField(max_length=64, help_text="The commit id (SHA).")
    message = models.TextField(blank=True, default="")
    author_name = models.CharField(max_length=200, blank=True, default="")
    author_email = models.CharField(max_length=200, blank=True, default="")
    timestamp = models.DateTimeField(null=True, blank=True)
    files = models.JSONField(default=list, blank=True, help_text='[{"path", "type"}] changed')

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "key"], name="unique_commit"),
        ]

    def __str__(self) -> str:
        return self.key[:12]


class ReleaseCommit(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, db_index=False)
    commit = models.ForeignKey(Commit, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveIntegerField(help_text="0: the newest commit (the release's head).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "commit"], name="unique_release_commit"),
        ]
        ordering = ["order"]

    def __str__(self) -> str:
        return f"{self.commit} in {self.release}"
