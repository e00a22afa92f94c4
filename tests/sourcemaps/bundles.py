"""Artifact bundles as sentry-cli builds them (protocols-releases.md §b), and the chunked
upload of one through the API, for the in-process tests."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

SYSB = b"SYSB\x02\x00\x00\x00"


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def bundle(files: dict[str, tuple[bytes, dict]], *, manifest: dict | None = None,
           extra_entries: dict[str, bytes] | None = None, header: bool = True) -> bytes:  # fmt: skip
    """files: zip path -> (bytes, manifest entry)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, (data, _info) in files.items():
            archive.writestr(path, data)
        for path, data in (extra_entries or {}).items():
            archive.writestr(path, data)
        body = manifest if manifest is not None else {
            "files": {path: info for path, (_data, info) in files.items()},
            "debug_id": "0ffc54e7-05ee-538c-82df-a4b1a70cae94", "org": "org-a",
        }  # fmt: skip
        archive.writestr("manifest.json", json.dumps(body))
    return (SYSB if header else b"") + out.getvalue()


def script_and_map(url: str, source: bytes, sourcemap: bytes, debug_id: str) -> dict:
    name = url.removeprefix("~/")
    return {
        f"files/_/_/{name}": (source, {"type": "minified_source", "url": url,
                                        "headers": {"debug-id": debug_id, "sourcemap": f"{name.rsplit('/', 1)[-1]}.map"}}),
        f"files/_/_/{name}.map": (sourcemap, {"type": "source_map", "url": url + ".map",
                                               "headers": {"debug-id": debug_id}}),
    }  # fmt: skip


def chunks_of(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def post_chunks(client, org_slug: str, chunks: list[bytes]):
    parts = [SimpleUploadedFile(sha1(c), gzip.compress(c)) for c in chunks]
    return client.post(f"/api/0/organizations/{org_slug}/chunk-upload/", {"file_gzip": parts},
                       format="multipart")  # fmt: skip


def assemble(client, org_slug: str, data: bytes, chunks: list[bytes], **extra):
    body = {"checksum": sha1(data), "chunks": [sha1(c) for c in chunks], "projects": [], **extra}
    return client.post(f"/api/0/organizations/{org_slug}/artifactbundle/assemble/", body,
                       format="json")  # fmt: skip


def upload(client, org_slug: str, data: bytes, size: int = 8 * 1024 * 1024, **extra) -> dict:
    """The whole 3.x flow; the last assemble answer."""
    chunks = chunks_of(data, size)
    first = assemble(client, org_slug, data, chunks, **extra)
    assert first.status_code == 200, first.content
    wanted = set(first.json()["missingChunks"])
    todo = [c for c in chunks if sha1(c) in wanted]
    if todo:
        assert post_chunks(client, org_slug, todo).status_code == 200
    return assemble(client, org_slug, data, chunks, **extra).json()
