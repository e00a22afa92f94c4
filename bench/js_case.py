"""The JavaScript case of bench/stages.py (`--js`): one event of 30 frames across 3 bundles
whose source maps are ~1 MB each, mapped by sourcemaps/symbolicate.py with its caches warm
(what a worker does for every event after the first of a build).

The bundles are made here (a minified file and a v3 map with sourcesContent per bundle), so
no npm is needed. Django is set up on a scratch DATA_DIR; no database is touched, because the
worker's caches (lookup, maps) are filled before the clock starts.
"""

from __future__ import annotations

import copy
import hashlib
import os
import random
import tempfile
import uuid

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
FRAMES, BUNDLES = 30, 3
SOURCES, LINES = 40, 200  # per bundle: ~1 MB of map (sourcesContent and mappings)


def _vlq(value: int) -> str:
    value = (-value << 1) | 1 if value < 0 else value << 1
    out = ""
    while True:
        digit, value = value & 31, value >> 5
        out += B64[digit | (32 if value else 0)]
        if not value:
            return out


def make_bundle(seed: int) -> tuple[bytes, bytes, list[tuple[int, int]]]:
    """(minified source, map, frame spots (line, col)): one minified line per source file,
    one function per source line."""
    sources, contents, minified, mappings, spots = [], [], [], [], []
    prev_src = prev_line = prev_col = prev_name = 0
    names = []
    for s in range(SOURCES):
        sources.append(f"webpack://shop/./src/module{seed}_{s}.ts")
        lines = [
            f"export function handler{s}_{n}(request: Request, count: number): number {{ return count * {n} + request.size; }}"
            for n in range(LINES)
        ]
        contents.append("\n".join(lines) + "\n")
        code, segments, gen_prev = "", [], 0
        for n in range(LINES):
            col = len(code)
            name = f"handler{s}_{n}"
            names.append(name)
            name_index = len(names) - 1
            segments.append(_vlq(col - gen_prev) + _vlq(s - prev_src) + _vlq(n - prev_line)
                            + _vlq(0 - prev_col) + _vlq(name_index - prev_name))  # fmt: skip
            gen_prev, prev_src, prev_line, prev_col, prev_name = col, s, n, 0, name_index
            code += f"function h{n}(r,c){{return c*{n}+r.size}}"
            spots.append((s + 1, col + 1))
        minified.append(code)
        mappings.append(",".join(segments))
    import orjson

    smap = orjson.dumps({"version": 3, "file": f"bundle{seed}.js", "sources": sources,
                         "sourcesContent": contents, "names": names,
                         "mappings": ";".join(mappings)})  # fmt: skip
    return "\n".join(minified).encode(), smap, spots


class JsCase:
    def __init__(self):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aggregator.settings")
        os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="bench-js-"))
        import django

        django.setup()
        from sourcemaps import lookup, maps, symbolicate

        self.symbolicate = symbolicate
        rng = random.Random(7)
        frames, images, self.map_bytes = [], [], 0
        lookup._orgs[1] = 1
        for b in range(BUNDLES):
            source, smap, spots = make_bundle(b)
            self.map_bytes += len(smap)
            debug_id = str(uuid.UUID(int=b + 1))
            url = f"https://shop.example.com/assets/bundle{b}.js"
            images.append({"type": "sourcemap", "code_file": url, "debug_id": debug_id})
            src_sha, map_sha = hashlib.sha1(source).hexdigest(), hashlib.sha1(smap).hexdigest()
            refs = {
                t: lookup.FileRef(b * 2 + i, sha, f"~/assets/bundle{b}.js" + ext, t, "", debug_id,
                                  b, "", "", 0)  # fmt: skip
                for i, (t, sha, ext) in enumerate(
                    [("minified_source", src_sha, ""), ("source_map", map_sha, ".map")])
            }  # fmt: skip
            lookup._cache.put(("debug", 1, debug_id), refs, True)
            mapper = maps.Mapper(smap, source)
            maps.cache().put((1, map_sha, src_sha), mapper, mapper.size)
            for line, col in rng.sample(spots, FRAMES // BUNDLES):
                frames.append({"filename": url, "abs_path": url, "lineno": line, "colno": col + 5,
                               "function": "h", "in_app": True})  # fmt: skip
        self.event = {"platform": "javascript", "debug_meta": {"images": images},
                      "exception": {"values": [{"type": "TypeError", "value": "x",
                                                "stacktrace": {"frames": frames}}]}}  # fmt: skip

    def events(self, count: int) -> list[dict]:
        return [copy.deepcopy(self.event) for _ in range(count)]

    def run(self, event: dict) -> dict:
        out = self.symbolicate.symbolicate_event(event, 1)
        frames = out["exception"]["values"][0]["stacktrace"]["frames"]
        assert all(f["data"].get("symbolicated") for f in frames), frames[0]
        return out
