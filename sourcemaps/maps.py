"""Parsed source maps, cached in the worker and bounded by bytes.

symbolic (Sentry's Rust parser) reads the maps: `SourceMapCache` (minified source + map)
gives the original function from the scopes and the context lines; `SourceMapView` (a map
alone, as legacy uploads may have) gives tokens and `sourcesContent`. Both read index maps.
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

import orjson
from django.conf import settings

from . import storage

CONTEXT_LINES = 5


class MapError(Exception):
    """The map could not be parsed; the message is the parser's."""


@dataclass(frozen=True)
class Token:
    src: str
    line: int  # 1-based
    col: int  # 1-based
    function: str | None
    context_line: str | None
    pre_context: list[str]
    post_context: list[str]


class Mapper:
    def __init__(self, map_bytes: bytes, source: bytes | None):
        self.ignored: frozenset[str] = frozenset()
        if b"ignoreList" in map_bytes:  # only then into Python objects (a big map costs MBs)
            try:
                info = orjson.loads(map_bytes)
            except orjson.JSONDecodeError as exc:
                raise MapError(f"not JSON: {exc}") from None
            if isinstance(info, dict):
                self.ignored = _ignored_sources(info)
        self.size = len(map_bytes) + len(source or b"")
        # Imported on the first map: processes that never map a frame never load the library.
        from symbolic.sourcemap import SourceMapView
        from symbolic.sourcemapcache import SourceMapCache

        try:
            if source is not None:
                self.cache = SourceMapCache.from_bytes(source, map_bytes)
                self.view = None
            else:
                self.cache = None
                self.view = SourceMapView.from_json_bytes(map_bytes)
        except Exception as exc:  # symbolic's errors carry the parser's message
            raise MapError(str(exc) or exc.__class__.__name__) from None

    def lookup(self, line: int, col: int) -> Token | None:
        """The original place of 1-based `line`, `col` of the minified file."""
        if line < 1 or col < 1:
            return None
        if self.cache is not None:
            t = self.cache.lookup(line, col, CONTEXT_LINES)
            if t is None or not t.src:
                return None
            return Token(t.src, t.line, t.col, t.function_name or t.name, _line(t.context_line),
                         [_line(x) for x in t.pre_context],
                         [_line(x) for x in t.post_context if x])  # fmt: skip
        t = self.view.lookup(line - 1, col - 1)
        if t is None or not t.src or t.dst_line != line - 1:  # not a token of an earlier line
            return None
        context, pre, post = None, [], []
        if t.src_id is not None and (lines := self.view.get_sourceview(t.src_id)) is not None:
            n = t.src_line
            if n < len(lines):
                context = _line(lines[n])
                pre = [_line(x) for x in lines[max(0, n - CONTEXT_LINES) : n]]
                post = [_line(x) for x in lines[n + 1 : n + 1 + CONTEXT_LINES]]
        return Token(t.src, t.src_line + 1, t.src_col + 1, t.name, context, pre, post)


def _line(text: str | None) -> str | None:
    return None if text is None else text.rstrip("\r\n")


def _ignored_sources(info: dict) -> frozenset[str]:
    """Sources the map marks as third-party (`ignoreList`, `x_google_ignoreList`)."""
    out = set()
    maps = [info] + [s.get("map") for s in info.get("sections") or [] if isinstance(s, dict)]
    for part in maps:
        if not isinstance(part, dict):
            continue
        sources = part.get("sources") if isinstance(part.get("sources"), list) else []
        indexes = part.get("ignoreList") or part.get("x_google_ignoreList") or []
        for index in indexes if isinstance(indexes, list) else []:
            if isinstance(index, int) and 0 <= index < len(sources) and sources[index]:
                out.add(str(sources[index]))
    return frozenset(out)


def data_url(url: str) -> bytes | None:
    """The map inlined in a `data:application/json;base64,...` sourceMappingURL."""
    if not url.startswith("data:"):
        return None
    meta, _, payload = url[5:].partition(",")
    try:
        if meta.endswith(";base64"):
            return base64.b64decode(payload, validate=False)
        return unquote_to_bytes(payload)
    except ValueError:
        return None


class MapCache:
    """Mappers by (map sha1, source sha1), least recently used dropped beyond `limit` bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self._items: OrderedDict = OrderedDict()

    def get(self, key):
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key, item, size: int):
        if key in self._items:
            return
        self._items[key] = item
        self.used += size
        while self.used > self.limit and len(self._items) > 1:
            _key, old = self._items.popitem(last=False)
            self.used -= old.size if isinstance(old, Mapper) else 1024

    def clear(self):
        self._items.clear()
        self.used = 0


_cache: MapCache | None = None


def cache() -> MapCache:
    global _cache
    if _cache is None:
        _cache = MapCache(settings.SOURCEMAP_CACHE_BYTES)
    return _cache


def mapper(org_id: int, map_sha1: str, source_sha1: str | None, *, inline: bytes | None = None):
    """A Mapper, or a MapError (cached too: a broken map is not parsed on every event)."""
    key = (org_id, map_sha1, source_sha1)
    found = cache().get(key)
    if found is not None:
        return found
    try:
        map_bytes = inline if inline is not None else storage.read_file(org_id, map_sha1)
        source = storage.read_file(org_id, source_sha1) if source_sha1 else None
        found = Mapper(map_bytes, source)
        size = found.size
    except MapError as exc:
        found, size = exc, 1024
    except OSError as exc:
        found, size = MapError(f"the file is gone from the storage ({exc})"), 1024
    cache().put(key, found, size)
    return found


def minified_source(org_id: int, sha1: str) -> bytes | None:
    try:
        return storage.read_file(org_id, sha1)
    except OSError:
        return None
