"""Shapes of the source-map endpoints, for the OpenAPI schema (`/api/0/schema/`)."""

from rest_framework import serializers as drf


class ChunkOptions(drf.Serializer):
    url = drf.CharField()
    chunkSize = drf.IntegerField()
    chunksPerRequest = drf.IntegerField()
    maxFileSize = drf.IntegerField()
    maxRequestSize = drf.IntegerField()
    concurrency = drf.IntegerField()
    hashAlgorithm = drf.CharField()
    compression = drf.ListField(child=drf.CharField())
    accept = drf.ListField(child=drf.CharField())


class ChunkUploadInput(drf.Serializer):
    file_gzip = drf.ListField(child=drf.FileField(), required=False,
                              help_text="gzip chunks, each named by the SHA-1 of its content")  # fmt: skip
    file = drf.ListField(child=drf.FileField(), required=False, help_text="raw chunks")


class AssembleInput(drf.Serializer):
    checksum = drf.CharField(help_text="SHA-1 of the whole bundle")
    chunks = drf.ListField(child=drf.CharField(), help_text="SHA-1s of its chunks, in order")
    projects = drf.ListField(child=drf.CharField(), required=False)
    version = drf.CharField(required=False)
    dist = drf.CharField(required=False)


class AssembleAnswer(drf.Serializer):
    state = drf.ChoiceField(choices=["error", "not_found", "created", "assembling", "ok"])
    missingChunks = drf.ListField(child=drf.CharField())
    detail = drf.CharField(required=False)


class ReleaseFile(drf.Serializer):
    id = drf.CharField()
    name = drf.CharField()
    dist = drf.CharField(allow_null=True)
    headers = drf.DictField(child=drf.CharField())
    size = drf.IntegerField()
    sha1 = drf.CharField()
    dateCreated = drf.DateTimeField()


class ReleaseFileInput(drf.Serializer):
    file = drf.FileField()
    name = drf.CharField(required=False)
    dist = drf.CharField(required=False)
    header = drf.ListField(child=drf.CharField(), required=False, help_text="Key:Value")
