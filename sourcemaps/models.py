"""Uploaded chunks, assembled artifact bundles, and the index of the files in them.

Everything belongs to an organization. File bytes live in the storage (`storage.py`),
content-addressed by SHA-1; these rows say where and what. A release is a version string
here (with its dist), so this app does not depend on a release model.
"""

from django.db import models

from projects.models import Organization, Project


class Chunk(models.Model):
    """A chunk received through the chunk-upload endpoint, stored under its SHA-1 until the
    bundle it belongs to is assembled. `received` counts POSTs of it (a resumed upload
    that sends nothing twice leaves 1)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    checksum = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    received = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "checksum"], name="chunk_unique")
        ]

    def __str__(self):
        return self.checksum


class ArtifactBundle(models.Model):
    """One assemble request's result: the bundle with this checksum, and how it went."""

    class State(models.TextChoices):
        ASSEMBLING = "assembling"
        OK = "ok"
        ERROR = "error"

    class Kind(models.TextChoices):
        ARTIFACT = "artifact"  # O/artifactbundle/assemble/
        RELEASE = "release"  # O/releases/{version}/assemble/ (2.x, release_files only)

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    checksum = models.CharField(max_length=40)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ARTIFACT)
    state = models.CharField(max_length=16, choices=State.choices)
    detail = models.TextField(blank=True)
    bundle_id = models.CharField(max_length=64, blank=True)  # the manifest's debug_id
    release = models.CharField(max_length=250, blank=True)
    dist = models.CharField(max_length=64, blank=True)
    projects = models.ManyToManyField(Project, blank=True)
    file_count = models.PositiveIntegerField(default=0)
    size = models.BigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "checksum", "kind"], name="bundle_unique"
            )
        ]

    def __str__(self):
        return f"{self.bundle_id or self.checksum} ({self.state})"


class ArtifactFile(models.Model):
    """One file that can serve symbolication: an entry of a bundle, or a legacy release
    file (`bundle` empty). Looked up by debug ID, or by release + dist + URL."""

    class Type(models.TextChoices):
        MINIFIED = "minified_source"
        MAP = "source_map"
        SOURCE = "source"
        OTHER = "other"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    bundle = models.ForeignKey(ArtifactBundle, null=True, blank=True, on_delete=models.CASCADE)
    type = models.CharField(max_length=32, choices=Type.choices)
    url = models.CharField(max_length=1000)  # "~/index.js" or a full URL
    debug_id = models.CharField(max_length=36, blank=True)
    release = models.CharField(max_length=250, blank=True)
    dist = models.CharField(max_length=64, blank=True)
    sourcemap = models.CharField(max_length=1000, blank=True)  # the Sourcemap header
    headers = models.JSONField(default=dict)
    sha1 = models.CharField(max_length=40)  # also its name in the storage
    size = models.BigIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "debug_id"], name="artifact_debug_id"),
            models.Index(fields=["organization", "release", "dist", "url"], name="artifact_url"),
        ]

    def __str__(self):
        return self.url
