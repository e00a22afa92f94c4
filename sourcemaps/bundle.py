"""Reading an artifact bundle (pure): `SYSB` + version, then a zip whose `manifest.json` says
what each entry is (docs: protocols-releases.md §b). Every limit is checked before anything is
decompressed, and again while reading, so a zip bomb costs at most the caps."""

from __future__ import annotations

import json
import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

HEADER = b"SYSB"
MANIFEST = "manifest.json"
MAX_MANIFEST = 16 * 1024 * 1024


class BundleError(Exception):
    """The bundle is refused; the message is the reason shown to sentry-cli."""


@dataclass(frozen=True)
class Limits:
    max_uncompressed: int
    max_file: int
    max_entries: int


@dataclass
class Entry:
    path: str  # inside the zip
    url: str
    type: str
    headers: dict[str, str]
    sha1: str = ""  # set by the caller's `keep`
    size: int = 0

    @property
    def debug_id(self) -> str:
        return normalize_debug_id(self.headers.get("debug-id", ""))

    @property
    def sourcemap(self) -> str:
        return self.headers.get("sourcemap", "")


@dataclass
class Bundle:
    manifest: dict
    entries: list[Entry] = field(default_factory=list)

    @property
    def bundle_id(self) -> str:
        return str(self.manifest.get("debug_id") or "")[:64]

    @property
    def release(self) -> str:
        return str(self.manifest.get("release") or "")

    @property
    def dist(self) -> str:
        return str(self.manifest.get("dist") or "")


def normalize_debug_id(value: object) -> str:
    """Lowercase hyphenated UUID (an appended age, "-0", dropped); "" if it is not one."""
    text = str(value or "").strip().lower()[:36]
    hexdigits = text.replace("-", "")
    if len(hexdigits) != 32 or any(c not in "0123456789abcdef" for c in hexdigits):
        return ""
    h = hexdigits
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def safe_path(path: str) -> bool:
    """A relative path that stays inside the bundle: no `..`, no absolute or drive paths."""
    if not path or path.startswith(("/", "\\")) or "\\" in path or "\0" in path:
        return False
    if len(path) > 2 and path[1] == ":":
        return False
    parts = path.split("/")
    return ".." not in parts and posixpath.normpath(path) == path


def _headers(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k).lower()[:100]: str(v)[:1000] for k, v in list(value.items())[:50]}


def read_bundle(handle: BinaryIO, limits: Limits, keep: Callable[[Entry, bytes], None]) -> Bundle:
    """The manifest and every entry it lists; each entry's bytes go to `keep` as they are
    read, one at a time (never the whole bundle in memory). Raises BundleError."""
    handle.seek(0)
    if handle.read(4) != HEADER:
        handle.seek(0)  # a plain zip (the legacy release bundle may come without the header)
    try:
        archive = zipfile.ZipFile(handle)  # finds the zip after the 8-byte header
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BundleError(f"the bundle is not a zip archive ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries + 1:
            raise BundleError(
                f"the bundle has {len(infos)} entries, over the limit of {limits.max_entries}"
            )
        total = sum(info.file_size for info in infos)
        if total > limits.max_uncompressed:
            raise BundleError(
                f"the bundle unpacks to {total} bytes, over the limit of {limits.max_uncompressed}"
            )
        by_name = {info.filename: info for info in infos}
        for name in by_name:
            if not safe_path(name):
                raise BundleError(f"unsafe path in the bundle: {name[:200]!r}")
        manifest = _manifest(archive, by_name)
        files = manifest.get("files")
        if not isinstance(files, dict):
            raise BundleError("the manifest has no files")
        bundle = Bundle(manifest)
        listed = []
        for path, info in files.items():  # all checked before anything is kept
            if not isinstance(path, str) or not safe_path(path):
                raise BundleError(f"unsafe path in the manifest: {str(path)[:200]!r}")
            if not isinstance(info, dict):
                raise BundleError(f"manifest entry {path!r} is not an object")
            zinfo = by_name.get(path)
            if zinfo is None:
                raise BundleError(f"manifest lists {path!r}, which the bundle lacks")
            if zinfo.file_size > limits.max_file:
                raise BundleError(
                    f"{path} is {zinfo.file_size} bytes, over the limit of {limits.max_file} "
                    "for one file"
                )
            listed.append((path, info, zinfo))
        for path, info, zinfo in listed:
            entry = Entry(
                path=path,
                url=str(info.get("url") or "")[:1000],
                type=str(info.get("type") or "")[:32],
                headers=_headers(info.get("headers")),
            )
            data = _read(archive, zinfo, limits.max_file)
            entry.size = len(data)
            keep(entry, data)
            bundle.entries.append(entry)
        return bundle


def _manifest(archive: zipfile.ZipFile, by_name: dict) -> dict:
    info = by_name.get(MANIFEST)
    if info is None:
        raise BundleError("the bundle has no manifest.json")
    try:
        manifest = json.loads(_read(archive, info, MAX_MANIFEST))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"manifest.json is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise BundleError("manifest.json is not an object")
    return manifest


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """An entry's bytes, never more than `limit` whatever its header claims."""
    if info.file_size > limit:
        raise BundleError(f"{info.filename} is over the limit of {limit} bytes")
    try:
        with archive.open(info) as entry:
            data = entry.read(limit + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
        raise BundleError(f"{info.filename} could not be read ({exc})") from None
    except Exception as exc:  # zlib.error and friends: a corrupt entry, not our crash
        raise BundleError(f"{info.filename} could not be read ({exc})") from None
    if len(data) > limit:
        raise BundleError(f"{info.filename} is over the limit of {limit} bytes")
    return data
