"""Chunks in, bundles assembled: the server side of sentry-cli's chunked upload.

The answer to an assemble request is honest: `not_found` with exactly the chunks not stored
yet, `ok` only once the bundle's files are stored and indexed, `error` with the reason."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import storage
from .bundle import BundleError, Entry, Limits, normalize_debug_id, read_bundle
from .models import ArtifactBundle, ArtifactFile, Chunk

CHUNK_LIFETIME = timedelta(days=1)
STALE = timedelta(minutes=10)  # an `assembling` row this old was left by a dead process
_HEX = frozenset("0123456789abcdef")


def is_sha1(value: object) -> bool:
    return isinstance(value, str) and len(value) == 40 and set(value) <= _HEX


def store_chunk(org_id: int, checksum: str, data: bytes) -> None:
    """Keep a verified chunk; a chunk sent again counts once more in `received`."""
    storage.save(storage.chunk_name(org_id, checksum), data)
    updated = Chunk.objects.filter(organization_id=org_id, checksum=checksum).update(
        received=F("received") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                Chunk.objects.create(organization_id=org_id, checksum=checksum, size=len(data))
        except IntegrityError:  # a concurrent request stored it first
            Chunk.objects.filter(organization_id=org_id, checksum=checksum).update(
                received=F("received") + 1
            )


@dataclass(frozen=True)
class Answer:
    state: str
    missing: list[str]
    detail: str = ""

    def json(self) -> dict:
        body = {"state": self.state, "missingChunks": self.missing}
        if self.detail:
            body["detail"] = self.detail
        return body


def limits() -> Limits:
    return Limits(
        max_uncompressed=settings.SOURCEMAP_MAX_UNCOMPRESSED,
        max_file=settings.SOURCEMAP_MAX_FILE_SIZE,
        max_entries=settings.SOURCEMAP_MAX_ENTRIES,
    )


def assemble(org, checksum: str, chunks: list[str], *, kind: str, projects=(), release="",
             dist="") -> Answer:  # fmt: skip
    existing = ArtifactBundle.objects.filter(organization=org, checksum=checksum, kind=kind).first()
    if existing is not None:
        fresh = timezone.now() - existing.created < STALE
        if existing.state != ArtifactBundle.State.ASSEMBLING or fresh:
            return Answer(existing.state, [], existing.detail)
        existing.delete()
    present = set(
        Chunk.objects.filter(organization=org, checksum__in=set(chunks)).values_list(
            "checksum", flat=True
        )
    )
    missing = list(dict.fromkeys(c for c in chunks if c not in present))
    if missing:
        return Answer("not_found", missing)
    if not chunks:
        return Answer("error", [], "the upload has no chunks")
    try:
        with transaction.atomic():
            row = ArtifactBundle.objects.create(
                organization=org, checksum=checksum, kind=kind,
                state=ArtifactBundle.State.ASSEMBLING, release=release, dist=dist,
            )  # fmt: skip
    except IntegrityError:  # another request is assembling the same bundle
        return Answer(ArtifactBundle.State.ASSEMBLING, [])
    try:
        files = _assemble(org, row, checksum, chunks)
    except BundleError as exc:
        row.state, row.detail = ArtifactBundle.State.ERROR, str(exc)[:2000]
        row.save(update_fields=["state", "detail"])
        return Answer("error", [], row.detail)
    with transaction.atomic():
        ArtifactFile.objects.bulk_create(files, batch_size=500)
        if projects:
            row.projects.set(projects)
        row.state = ArtifactBundle.State.OK
        row.save()
    return Answer("ok", [])


def _assemble(org, row: ArtifactBundle, checksum: str, chunks: list[str]) -> list[ArtifactFile]:
    sizes = dict(
        Chunk.objects.filter(organization=org, checksum__in=set(chunks)).values_list(
            "checksum", "size"
        )
    )
    total = sum(sizes[c] for c in chunks)
    if total > settings.SOURCEMAP_MAX_BUNDLE_SIZE:
        raise BundleError(
            f"the bundle is {total} bytes, over the limit of {settings.SOURCEMAP_MAX_BUNDLE_SIZE}"
        )
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as handle:
        digest = hashlib.sha1()
        for chunk in chunks:
            try:
                data = storage.read(storage.chunk_name(org.pk, chunk))
            except OSError:
                raise BundleError(f"chunk {chunk} is gone from the storage") from None
            digest.update(data)
            handle.write(data)
        if digest.hexdigest() != checksum:
            raise BundleError(
                f"the chunks put together have SHA-1 {digest.hexdigest()}, not the checksum "
                f"{checksum}"
            )

        def keep(entry: Entry, data: bytes) -> None:
            entry.sha1 = storage.save_file(org.pk, data)

        bundle = read_bundle(handle, limits(), keep)
    release = row.release or bundle.release
    dist = row.dist or bundle.dist
    row.bundle_id, row.release, row.dist = bundle.bundle_id, release[:250], dist[:64]
    row.file_count, row.size = len(bundle.entries), total
    return [
        ArtifactFile(
            organization=org,
            bundle=row,
            type=_type(entry.type),
            url=entry.url,
            debug_id=entry.debug_id,
            release=release[:250],
            dist=dist[:64],
            sourcemap=entry.sourcemap,
            headers=entry.headers,
            sha1=entry.sha1,
            size=entry.size,
        )  # fmt: skip
        for entry in bundle.entries
    ]


def _type(value: str) -> str:
    known = {t.value for t in ArtifactFile.Type}
    return value if value in known else ArtifactFile.Type.OTHER


def file_type(name: str, headers: dict[str, str]) -> str:
    """A legacy release file's type, from its headers and name (2.x sends no type)."""
    if headers.get("sourcemap") or headers.get("x-sourcemap"):
        return ArtifactFile.Type.MINIFIED
    if name.endswith(".map"):
        return ArtifactFile.Type.MAP
    if name.endswith((".js", ".mjs", ".cjs")):
        return ArtifactFile.Type.MINIFIED
    return ArtifactFile.Type.SOURCE


def expire_chunks(older_than: timedelta = CHUNK_LIFETIME) -> int:
    """Chunks are kept a while after their upload, so a re-run of the same upload (or an
    assemble repeated by `--wait`) finds them; then they go. How many went."""
    expired = Chunk.objects.filter(created__lt=timezone.now() - older_than)
    rows = list(expired.values_list("pk", "organization_id", "checksum")[:10000])
    for _pk, org_id, checksum in rows:
        try:
            storage.delete(storage.chunk_name(org_id, checksum))
        except OSError:
            pass
    Chunk.objects.filter(pk__in=[pk for pk, _o, _c in rows]).delete()
    return len(rows)


__all__ = ["Answer", "assemble", "file_type", "is_sha1", "normalize_debug_id", "store_chunk"]
