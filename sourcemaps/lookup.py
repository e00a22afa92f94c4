"""The worker's view of uploaded files: which file serves a debug ID or a release URL.

Answers are cached per process for a short while (a new upload is seen within
NEGATIVE_TTL seconds), so a busy worker asks the database once per bundle, not per event."""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass

from projects.models import Project

from .models import ArtifactFile

POSITIVE_TTL = 300.0
NEGATIVE_TTL = 5.0
MAX_ENTRIES = 20000
_FIELDS = ("pk", "sha1", "url", "type", "sourcemap", "debug_id", "bundle_id", "release", "dist",
           "size")  # fmt: skip


@dataclass(frozen=True)
class FileRef:
    pk: int
    sha1: str
    url: str
    type: str
    sourcemap: str
    debug_id: str
    bundle_id: int | None
    release: str
    dist: str
    size: int


class TTLCache:
    def __init__(self):
        self._data: dict = {}

    def get(self, key):
        hit = self._data.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key, value, found: bool):
        if len(self._data) >= MAX_ENTRIES:
            self._data.clear()
        self._data[key] = (time.monotonic() + (POSITIVE_TTL if found else NEGATIVE_TTL), value)

    def clear(self):
        self._data.clear()


_orgs: dict[int, int] = {}
_cache = TTLCache()


def clear() -> None:
    _orgs.clear()
    _cache.clear()


def org_of(project_id: int) -> int | None:
    org = _orgs.get(project_id)
    if org is None:
        org = Project.objects.filter(pk=project_id).values_list("organization_id", flat=True)
        org = org.first()
        if org is None:
            return None
        _orgs[project_id] = org
    return org


def _refs(qs) -> list[FileRef]:
    return [FileRef(*row) for row in qs.order_by("-pk").values_list(*_FIELDS)]


def by_debug_id(org_id: int, debug_id: str) -> dict[str, FileRef]:
    """{type: newest file} of the files uploaded with this debug ID."""
    key = ("debug", org_id, debug_id)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    found: dict[str, FileRef] = {}
    for ref in _refs(ArtifactFile.objects.filter(organization_id=org_id, debug_id=debug_id)):
        found.setdefault(ref.type, ref)
    _cache.put(key, found, bool(found))
    return found


def by_url(org_id: int, release: str, dist: str, urls: tuple[str, ...]) -> FileRef | None:
    """The newest file of the release (and dist) at the first of `urls` that has one."""
    key = ("url", org_id, release, dist, urls)
    hit = _cache.get(key)
    if hit is not None:
        return hit or None
    rows = _refs(
        ArtifactFile.objects.filter(
            organization_id=org_id, release=release, dist=dist, url__in=urls
        )
    )
    best = None
    for url in urls:
        best = next((r for r in rows if r.url == url), None)
        if best is not None:
            break
    _cache.put(key, best or False, best is not None)
    return best


def in_bundle(bundle_id: int, url: str) -> FileRef | None:
    rows = _refs(ArtifactFile.objects.filter(bundle_id=bundle_id, url=url))
    return rows[0] if rows else None


def closest_names(org_id: int, release: str, dist: str, url: str, n: int = 3) -> list[str]:
    """Names of the release's files nearest to `url`, for the reason shown on the frame
    (cached like the rest: a dependency's frames ask for every event)."""
    key = ("closest", org_id, release, dist, url)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    names = list(
        ArtifactFile.objects.filter(organization_id=org_id, release=release, dist=dist)
        .exclude(type=ArtifactFile.Type.MAP)
        .values_list("url", flat=True)[:2000]
    )
    closest = difflib.get_close_matches(url, names, n=n, cutoff=0.3)
    _cache.put(key, closest, bool(names))
    return closest
