"""Map the frames of JavaScript and Node events through uploaded source maps (the worker's
enrich step, registered in apps.py).

Each frame is matched by debug ID first (`debug_meta.images` of type `sourcemap`), then by
release + dist + URL (`~/path` as Sentry matches), then through the minified file's
`sourceMappingURL`. A mapped frame gets the original file, line, column, function and
context lines; the minified frames stay in `raw_stacktrace`. A frame that could not be
mapped says why in `data.sourcemap_error` ({"type", "message"}), shown on the event page
and in the API.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import urljoin, urlsplit

from . import lookup, maps
from .bundle import normalize_debug_id
from .models import ArtifactFile

MAX_FRAMES = 250  # per event: beyond that, frames stay as sent
_MAPPING_URL = re.compile(rb"//[#@]\s*sourceMappingURL=(\S+)\s*$")
_SKIP = ("node:", "native", "[native code]", "<anonymous>", "internal/")
_WEBPACK = re.compile(r"^webpack://[^/]*/")

# Reason types, as stored in a frame's data.sourcemap_error.type
MISSING_DEBUG_ID = "missing_debug_id_bundle"
MISSING_FILE = "missing_release_file"
MISSING_MAP = "missing_sourcemap"
NO_MAPPING = "no_mapping"
BAD_MAP = "bad_sourcemap"
NOTHING_TO_MATCH = "no_debug_id_or_release"


class Unmapped(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def symbolicate_event(event: dict, project_id: int) -> dict:
    org_id = lookup.org_of(project_id)
    if org_id is None:
        return event
    context = Context(org_id, event)
    budget = [MAX_FRAMES]
    for holder in _stack_holders(event):
        stack = holder.get("stacktrace")
        frames = stack.get("frames") if isinstance(stack, dict) else None
        if not isinstance(frames, list) or not frames:
            continue
        new_frames = [context.frame(f, budget) if isinstance(f, dict) else f for f in frames]
        if any(f is not o for f, o in zip(new_frames, frames, strict=True)):
            if any(
                isinstance(f, dict) and f.get("data", {}).get("symbolicated") for f in new_frames
            ):
                holder["raw_stacktrace"] = {"frames": frames}
            holder["stacktrace"] = {**stack, "frames": new_frames}
    return event


def _stack_holders(event: dict) -> list[dict]:
    holders = []
    for key in ("exception", "threads"):
        values = event.get(key, {}).get("values") if isinstance(event.get(key), dict) else None
        holders += [v for v in values or [] if isinstance(v, dict)]
    if isinstance(event.get("stacktrace"), dict):
        holders.append(event)
    return holders


class Context:
    """What the frames of one event share: organization, release, the debug ID images."""

    def __init__(self, org_id: int, event: dict):
        self.org_id = org_id
        self.release = str(event.get("release") or "")
        self.dist = str(event.get("dist") or "")
        self.images: dict[str, str] = {}
        meta = event.get("debug_meta")
        for image in (meta.get("images") if isinstance(meta, dict) else None) or []:
            if isinstance(image, dict) and image.get("type") == "sourcemap":
                debug_id = normalize_debug_id(image.get("debug_id"))
                if debug_id and isinstance(image.get("code_file"), str):
                    self.images[image["code_file"]] = debug_id

    def frame(self, frame: dict, budget: list[int]) -> dict:
        url = frame.get("abs_path") or frame.get("filename")
        if not isinstance(url, str) or not url or url.startswith(_SKIP):
            return frame
        lineno, colno = frame.get("lineno"), frame.get("colno")
        if not isinstance(lineno, int) or not isinstance(colno, int) or budget[0] <= 0:
            return frame
        budget[0] -= 1
        try:
            return self._mapped(frame, url, lineno, colno)
        except Unmapped as why:
            out = dict(frame)
            data = dict(frame.get("data") or {})
            data["symbolicated"] = False
            data["sourcemap_error"] = {"type": why.kind, "message": why.message}
            out["data"] = data
            if "/node_modules/" in url:
                out["in_app"] = False
            return out

    def _mapped(self, frame: dict, url: str, lineno: int, colno: int) -> dict:
        debug_id = self.images.get(url) or self.images.get(frame.get("filename"))
        files = lookup.by_debug_id(self.org_id, debug_id) if debug_id else {}
        if debug_id and not files and self.release:  # then the release's files, as Sentry does
            try:
                source_ref, map_ref, inline = self._by_release(url)
            except Unmapped as why:
                raise Unmapped(
                    MISSING_DEBUG_ID,
                    f"No bundle with debug ID {debug_id} was uploaded, and by release: "
                    f"{why.message}",
                ) from None
            return self._map(frame, url, lineno, colno, source_ref, map_ref, inline, "release")
        if debug_id:
            if not files:
                raise Unmapped(
                    MISSING_DEBUG_ID, f"No bundle with debug ID {debug_id} was uploaded."
                )
            map_ref = files.get(ArtifactFile.Type.MAP)
            source_ref = files.get(ArtifactFile.Type.MINIFIED)
            if map_ref is None:
                raise Unmapped(
                    MISSING_MAP, f"The upload with debug ID {debug_id} has no source map."
                )
            how = "debug-id"
            inline = None
        elif self.release:
            source_ref, map_ref, inline = self._by_release(url)
            how = "release"
        else:
            raise Unmapped(
                NOTHING_TO_MATCH,
                "The event names no debug ID for this file and no release, so no upload can "
                "match it.",
            )
        return self._map(frame, url, lineno, colno, source_ref, map_ref, inline, how)

    def _map(self, frame, url, lineno, colno, source_ref, map_ref, inline, how) -> dict:
        mapper = maps.mapper(self.org_id, map_ref.sha1 if map_ref else "inline",
                             source_ref.sha1 if source_ref else None, inline=inline)  # fmt: skip
        map_url = map_ref.url if map_ref else (source_ref.url if source_ref else url)
        if isinstance(mapper, maps.MapError):
            raise Unmapped(BAD_MAP, f"The source map {map_url} could not be parsed: {mapper}")
        token = mapper.lookup(lineno, colno)
        if token is None:
            raise Unmapped(
                NO_MAPPING,
                f"The source map {map_url} has no mapping at line {lineno}, column {colno}.",
            )
        return _mapped_frame(frame, token, map_url, mapper.ignored, how)

    def _by_release(self, url: str):
        candidates = url_candidates(url)
        ref = lookup.by_url(self.org_id, self.release, self.dist, candidates)
        if ref is None:
            names = lookup.closest_names(self.org_id, self.release, self.dist, candidates[-1])
            dist = f" (dist {self.dist})" if self.dist else ""
            closest = f"; closest names: {', '.join(names)}" if names else "; it has no files"
            raise Unmapped(
                MISSING_FILE,
                f"No file for {candidates[-1]} in release {self.release}{dist}{closest}.",
            )
        if ref.type == ArtifactFile.Type.MAP:  # the map uploaded under the script's name
            return None, ref, None
        target = ref.sourcemap
        if not target:
            source = maps.minified_source(self.org_id, ref.sha1) or b""
            match = _MAPPING_URL.search(source[-2048:].rstrip())
            target = match.group(1).decode("utf-8", "replace") if match else ""
        if not target:
            raise Unmapped(
                MISSING_MAP,
                f"{ref.url} names no source map (no Sourcemap header or sourceMappingURL).",
            )
        inline = maps.data_url(target)
        if inline is not None:
            return ref, None, inline
        map_url = resolve(ref.url, target)
        map_ref = None
        if ref.bundle_id is not None:
            map_ref = lookup.in_bundle(ref.bundle_id, map_url)
        if map_ref is None:
            map_ref = lookup.by_url(self.org_id, self.release, self.dist, url_candidates(map_url))
        if map_ref is None:
            raise Unmapped(
                MISSING_MAP,
                f"{ref.url} names the source map {map_url}, which was not uploaded for release "
                f"{self.release}.",
            )
        return ref, map_ref, None


def _mapped_frame(frame: dict, token: maps.Token, map_url: str, ignored, how: str) -> dict:
    abs_path = resolve(map_url, token.src)
    out = dict(frame)
    out["abs_path"] = abs_path
    out["filename"] = display_path(abs_path)
    out["lineno"], out["colno"] = token.line, token.col
    if token.function and token.function != "<anonymous>":
        out["function"] = token.function
    elif token.function == "<anonymous>":
        out["function"] = "<anonymous>"
    for key in ("context_line", "pre_context", "post_context"):
        out.pop(key, None)
    if token.context_line is not None:
        out["context_line"] = token.context_line
        out["pre_context"] = token.pre_context
        out["post_context"] = token.post_context
    if "module" in out:
        out["module"] = module_name(out["filename"])
    out["in_app"] = in_app(abs_path) and token.src not in ignored
    data = dict(frame.get("data") or {})
    where = f"{frame.get('abs_path') or frame.get('filename')}:{frame.get('lineno')}:{frame.get('colno')}"
    if frame.get("function"):
        where += f" in {frame['function']}"
    data.update(symbolicated=True, sourcemap=map_url, resolved_with=how, minified=where)
    out["data"] = data
    return out


def in_app(path: str) -> bool:
    """Sentry's rules for mapped JavaScript paths: dependencies are not the app."""
    if "/node_modules/" in path or path.startswith("node_modules/"):
        return False
    if path.startswith(("webpack:///./~/", "webpack:///~/", "webpack:///(webpack)")):
        return False
    return "/~/" not in path.partition("://")[2]


def url_candidates(url: str) -> tuple[str, ...]:
    """The names an upload may have for this frame URL, best first: the URL itself (without
    query and fragment too), then `~/path` (any scheme and host)."""
    out = [url]
    parts = urlsplit(url)
    bare = url.split("#", 1)[0]
    if "?" in bare:
        out.append(bare.split("?", 1)[0])
    if parts.scheme and parts.scheme not in ("file",) and len(parts.scheme) > 1:
        path = parts.path or "/"
        if parts.query:
            out.append(f"~{path}?{parts.query}")
        out.append(f"~{path}")
    elif url.startswith("/"):
        out.append(f"~{url.split('?', 1)[0]}")
    return tuple(dict.fromkeys(out))


def resolve(base: str, target: str) -> str:
    """`target` (a source or map reference) relative to the URL `base`; `~/` kept."""
    if "://" in target or target.startswith("~/"):
        return target
    if base.startswith("~/"):
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(base[1:]), target))
        return "~" + (joined if joined.startswith("/") else "/" + joined)
    if "://" in base:
        return urljoin(base, target)
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def display_path(abs_path: str) -> str:
    """What the frame shows as its file: no scheme, host, `~/` or webpack namespace."""
    path = _WEBPACK.sub("", abs_path)
    if path.startswith("~/"):
        path = path[2:]
    elif "://" in path:
        path = urlsplit(path).path.lstrip("/")
    return path.removeprefix("./") or abs_path


def module_name(filename: str) -> str:
    path = filename.split("?", 1)[0]
    if "node_modules/" in path:
        path = path.rsplit("node_modules/", 1)[1]
    return posixpath.splitext(path)[0]
