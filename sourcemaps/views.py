"""The endpoints sentry-cli 2.x and 3.x call to upload source maps (protocols-releases.md
§b, §d): chunk-upload options and chunks, artifact and release bundle assemble, and 2.x's
legacy release files. Thin: limits and checks here, the work in `assemble.py`."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.common import CURSOR, ERRORS, LIMIT, bad_request, page_response, simple_page
from events.wire import compression
from events.wire.refusal import Refusal
from projects import access

from . import serializers as shapes
from . import storage
from .assemble import assemble, file_type, is_sha1, store_chunk
from .bundle import normalize_debug_id
from .models import ArtifactBundle, ArtifactFile

MULTIPART_OVERHEAD = 64 * 1024  # part headers around the chunks of one request


class TooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "Request too large."


def _org(request, org_slug, role=None):
    """Reads: any member (viewers too); uploads: members and up; deletes: admins."""
    return access.membership_or_404(request.user, org_slug, role=role).organization


@access.rule(GET="viewer", POST="member")
class ChunkUpload(APIView):
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(responses={200: shapes.ChunkOptions, **ERRORS})
    def get(self, request, org_slug):
        _org(request, org_slug)
        return Response({
            "url": request.build_absolute_uri(request.path),
            "chunkSize": settings.SOURCEMAP_CHUNK_SIZE,
            "chunksPerRequest": settings.SOURCEMAP_CHUNKS_PER_REQUEST,
            "maxFileSize": settings.SOURCEMAP_MAX_BUNDLE_SIZE,
            "maxRequestSize": settings.SOURCEMAP_MAX_REQUEST_SIZE,
            "concurrency": 1,
            "hashAlgorithm": "sha1",
            "compression": ["gzip"],
            "accept": list(settings.SOURCEMAP_ACCEPT),
        })  # fmt: skip

    @extend_schema(
        request=shapes.ChunkUploadInput, responses={200: None, 413: ERRORS[400], **ERRORS}
    )
    def post(self, request, org_slug):
        org = _org(request, org_slug, role="member")
        limit = settings.SOURCEMAP_MAX_REQUEST_SIZE + MULTIPART_OVERHEAD
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise bad_request("bad Content-Length") from None
        if length > limit:  # before the body is read
            raise TooLarge(f"Request of {length} bytes, over maxRequestSize ({limit}).")
        parts = [(u, True) for u in request.FILES.getlist("file_gzip")]
        parts += [(u, False) for u in request.FILES.getlist("file")]
        if len(parts) > settings.SOURCEMAP_CHUNKS_PER_REQUEST:
            raise bad_request(
                f"{len(parts)} chunks in one request, over chunksPerRequest "
                f"({settings.SOURCEMAP_CHUNKS_PER_REQUEST})"
            )
        chunks = [self._chunk(upload, gzipped) for upload, gzipped in parts]
        for checksum, data in chunks:  # all verified before any is kept
            store_chunk(org.pk, checksum, data)
        return Response({})

    def _chunk(self, upload, gzipped: bool) -> tuple[str, bytes]:
        size = settings.SOURCEMAP_CHUNK_SIZE
        name = (upload.name or "").strip().lower()
        if not is_sha1(name):
            raise bad_request(f"chunk name {name[:60]!r} is not a SHA-1")
        data = upload.read(size + 1 if not gzipped else settings.SOURCEMAP_MAX_REQUEST_SIZE + 1)
        if gzipped:
            try:
                data = compression.decompress(data, "gzip", size)
            except Refusal:
                raise bad_request(
                    f"chunk {name} is not gzip data of at most chunkSize ({size})"
                ) from None
        if len(data) > size:
            raise bad_request(f"chunk {name} is {len(data)} bytes, over chunkSize ({size})")
        actual = hashlib.sha1(data).hexdigest()
        if actual != name:
            raise bad_request(f"chunk {name} has content with SHA-1 {actual}: refused")
        return name, data


def _assemble_input(request) -> tuple[dict, str, list[str]]:
    body = request.data if isinstance(request.data, dict) else {}
    checksum = str(body.get("checksum") or "").lower()
    chunks = body.get("chunks")
    if not is_sha1(checksum):
        raise bad_request("checksum must be a SHA-1 (40 hex digits)")
    if not isinstance(chunks, list) or not all(
        isinstance(c, str) and is_sha1(c.lower()) for c in chunks
    ):
        raise bad_request("chunks must be a list of SHA-1s")
    if len(chunks) > 100_000:
        raise bad_request("too many chunks")
    return body, checksum, [c.lower() for c in chunks]


@access.rule("member")
class ArtifactBundleAssemble(APIView):
    @extend_schema(request=shapes.AssembleInput, responses={200: shapes.AssembleAnswer, **ERRORS})
    def post(self, request, org_slug):
        org = _org(request, org_slug, role="member")
        body, checksum, chunks = _assemble_input(request)
        slugs = body.get("projects") or []
        if not isinstance(slugs, list) or not all(isinstance(s, str) for s in slugs):
            raise bad_request("projects must be a list of slugs")
        projects = list(org.projects.filter(slug__in=slugs))
        unknown = set(slugs) - {p.slug for p in projects}
        if unknown:
            raise bad_request(f"unknown projects: {', '.join(sorted(unknown))}")
        release = str(body.get("version") or "")[:250]
        dist = str(body.get("dist") or "")[:64]
        answer = assemble(org, checksum, chunks,
                          kind=ArtifactBundle.Kind.ARTIFACT, projects=projects, release=release,
                          dist=dist)  # fmt: skip
        return Response(answer.json())


@access.rule("member")
class ReleaseAssemble(APIView):
    """2.x's release bundle (chunk-upload `accept` with release_files only)."""

    @extend_schema(request=shapes.AssembleInput, responses={200: shapes.AssembleAnswer, **ERRORS})
    def post(self, request, org_slug, version):
        org = _org(request, org_slug, role="member")
        _body, checksum, chunks = _assemble_input(request)
        answer = assemble(org, checksum, chunks,
                          kind=ArtifactBundle.Kind.RELEASE, release=version[:250])  # fmt: skip
        return Response(answer.json())


def _file_json(row: ArtifactFile) -> dict:
    return {
        "id": str(row.pk),
        "name": row.url,
        "dist": row.dist or None,
        "headers": {k.title(): v for k, v in row.headers.items()},
        "size": row.size,
        "sha1": row.sha1,
        "dateCreated": row.created.isoformat().replace("+00:00", "Z"),
    }


def _headers(values: list[str]) -> dict[str, str]:
    headers = {}
    for value in values[:50]:
        key, sep, text = value.partition(":")
        if not sep or not key.strip():
            raise bad_request(f"header {value[:100]!r} is not Key:Value")
        headers[key.strip().lower()[:100]] = text.strip()[:1000]
    return headers


@access.rule(GET="viewer", POST="member")
class ReleaseFiles(APIView):
    """2.x's legacy upload: one multipart POST per file of a release (by version string)."""

    parser_classes = [parsers.MultiPartParser]

    def _org(self, request, org_slug, project_slug=None, role=None):
        if project_slug is not None:
            return access.project_or_404(
                request.user, org_slug, project_slug, role=role
            ).organization
        return _org(request, org_slug, role=role)

    @extend_schema(
        parameters=[CURSOR, LIMIT], responses={200: shapes.ReleaseFile(many=True), **ERRORS}
    )
    def get(self, request, org_slug, version, project_slug=None):
        org = self._org(request, org_slug, project_slug)
        rows = ArtifactFile.objects.filter(organization=org, release=version, bundle=None)
        page = simple_page(request, rows)
        return page_response(request, page, [_file_json(r) for r in page.items])

    @extend_schema(request=shapes.ReleaseFileInput,
                   responses={201: shapes.ReleaseFile, 409: ERRORS[400], 413: ERRORS[400], **ERRORS})  # fmt: skip
    def post(self, request, org_slug, version, project_slug=None):
        org = self._org(request, org_slug, project_slug, role="member")
        limit = settings.SOURCEMAP_MAX_FILE_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise bad_request("bad Content-Length") from None
        if length > limit + MULTIPART_OVERHEAD:
            raise TooLarge(f"Request of {length} bytes, over the file limit ({limit}).")
        upload = request.FILES.get("file")
        if upload is None:
            raise bad_request("the file part is missing")
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(f"file over the limit of {limit} bytes")
        name = str(request.data.get("name") or f"~/{upload.name}")[:1000]
        dist = str(request.data.get("dist") or "")[:64]
        headers = _headers(request.data.getlist("header"))
        with transaction.atomic():
            taken = ArtifactFile.objects.select_for_update().filter(
                organization=org, release=version, dist=dist, url=name, bundle=None
            )
            if taken.exists():
                return Response({"detail": "A file matching this name already exists for the given release"},
                                status=status.HTTP_409_CONFLICT)  # fmt: skip
            try:
                sha1 = storage.save_file(org.pk, data)
            except OSError as exc:
                raise exceptions.APIException(f"could not store the file ({exc})") from None
            row = ArtifactFile.objects.create(
                organization=org, type=file_type(name, headers), url=name,
                debug_id=normalize_debug_id(headers.get("debug-id", "")), release=version[:250],
                dist=dist, sourcemap=headers.get("sourcemap") or headers.get("x-sourcemap") or "",
                headers=headers, sha1=sha1, size=len(data),
            )  # fmt: skip
        return Response(_file_json(row), status=status.HTTP_201_CREATED)


@access.rule(GET="viewer", DELETE="member")  # 2.x deletes a file before uploading it again
class ReleaseFileDetail(APIView):
    def _row(self, request, org_slug, version, file_id, project_slug=None, role=None):
        if project_slug is not None:
            org = access.project_or_404(
                request.user, org_slug, project_slug, role=role
            ).organization
        else:
            org = _org(request, org_slug, role=role)
        row = ArtifactFile.objects.filter(
            organization=org, release=version, bundle=None, pk=file_id
        ).first()
        if row is None:
            raise Http404("No such file.")
        return row

    @extend_schema(responses={200: shapes.ReleaseFile, **ERRORS})
    def get(self, request, org_slug, version, file_id, project_slug=None):
        return Response(_file_json(self._row(request, org_slug, version, file_id, project_slug)))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, org_slug, version, file_id, project_slug=None):
        self._row(request, org_slug, version, file_id, project_slug, role="member").delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
