"""Request bodies of the releases API, validated (bad input: a 400 with a reason)."""

from __future__ import annotations

import re

from rest_framework import serializers

from .models import MAX_VERSION

# sentry-cli refuses whitespace locally; we also refuse control characters and the names
# that would read as paths. `/` is allowed (URL-encoded as %2F in paths).
_BAD_VERSION = re.compile(r"[\s\x00-\x1f\x7f]")


def check_version(value: str) -> str:
    if not value:
        raise serializers.ValidationError("A release needs a version.")
    if len(value) > MAX_VERSION:
        raise serializers.ValidationError(f"Versions are at most {MAX_VERSION} characters.")
    if _BAD_VERSION.search(value):
        raise serializers.ValidationError("Versions may not contain whitespace.")
    if value in (".", "..", "latest"):
        raise serializers.ValidationError(f"{value!r} is not a valid version.")
    return value


class Ref(serializers.Serializer):
    repository = serializers.CharField(max_length=200)
    commit = serializers.CharField(max_length=64)
    previousCommit = serializers.CharField(
        max_length=64, required=False, allow_null=True, allow_blank=True
    )


class FileChange(serializers.Serializer):
    path = serializers.CharField(max_length=1000)
    type = serializers.CharField(max_length=2, required=False, allow_blank=True)


class CommitInput(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    repository = serializers.CharField(max_length=200, required=False, allow_blank=True)
    message = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=20000, trim_whitespace=False
    )
    author_name = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=200
    )
    author_email = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=200
    )
    timestamp = serializers.DateTimeField(required=False, allow_null=True)
    patch_set = FileChange(many=True, required=False, max_length=10000)


class ReleaseUpdate(serializers.Serializer):
    ref = serializers.CharField(max_length=250, required=False, allow_null=True, allow_blank=True)
    url = serializers.URLField(max_length=500, required=False, allow_null=True, allow_blank=True)
    dateStarted = serializers.DateTimeField(required=False, allow_null=True)
    dateReleased = serializers.DateTimeField(required=False, allow_null=True)
    projects = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=1000
    )
    status = serializers.ChoiceField(choices=["open", "archived"], required=False)
    commits = CommitInput(many=True, required=False, max_length=10000)
    refs = Ref(many=True, required=False, max_length=100)


class ReleaseCreate(ReleaseUpdate):
    version = serializers.CharField(max_length=MAX_VERSION, trim_whitespace=False)

    def validate_version(self, value):
        return check_version(value)


class DeployInput(serializers.Serializer):
    environment = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200, required=False, allow_null=True, allow_blank=True)
    url = serializers.URLField(max_length=500, required=False, allow_null=True, allow_blank=True)
    dateStarted = serializers.DateTimeField(required=False, allow_null=True)
    dateFinished = serializers.DateTimeField(required=False, allow_null=True)


class RepositoryInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    provider = serializers.CharField(max_length=64, required=False, default="integrations:github")
