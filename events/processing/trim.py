"""Size caps for canonical events (pure, stdlib only).

``trim_event`` bounds an event in place and lists every cut, as a dotted path, in the sorted
``event["_trimmed"]`` (absent when nothing was cut; an incoming one is discarded, so trim once).

* strings: ``max_string``; ``max_short`` for tags and short top-level fields; dict keys longer
  than ``max_short`` are cut too (a cut key colliding with another is dropped).  Cut strings end
  with "…" and are exactly the limit long.
* newest (last) ``max_exceptions`` exceptions and ``max_breadcrumbs`` breadcrumbs; per stacktrace
  the oldest ``max_frames // 5`` and the newest rest, ``frames_omitted = [first cut index, first
  index kept after the cut]``; first ``max_tags`` tags; first ``max_list`` items of other lists;
  first ``max_vars`` keys of any dict below the root except ``modules`` and ``tags``.
* free-form sections (``extra``, ``contexts``, ``vars``, any ``data``) may nest ``max_depth``
  levels, the rest of the event ``max_depth + 8``; deeper containers become bounded JSON text.
* then, while the UTF-8 JSON exceeds ``max_event_bytes``, drop: frame vars, breadcrumb data,
  extra, request.data, modules, pre/post context, contexts, breadcrumbs, threads, request (but
  url/method), unknown top-level keys; then re-trim with halved limits; last, every top-level
  container.  Fits any budget above a few KB.
* at most 100 marks of at most 200 chars; beyond that, list indexes collapse to "*".

With a ``survey`` from scrub.scrub_and_survey, the containers scrubbing walked are not walked
again when their survey shows them within every limit: for JSON-typed events (normalize's
output), where no tuple or other type needs converting.
"""

import json
import re
from dataclasses import dataclass, fields, replace
from itertools import islice

from . import scrub

ELLIPSIS = "…"
_SHORT_FIELDS = ("transaction", "release", "dist", "environment", "server_name", "logger",
                 "culprit", "level", "platform")  # fmt: skip
_FREEFORM = frozenset({"extra", "contexts", "vars", "data"})
_KNOWN_TOP = frozenset(_SHORT_FIELDS) | {
    "event_id", "timestamp", "message", "logentry", "exception", "threads", "breadcrumbs",
    "request", "user", "tags", "contexts", "extra", "modules", "sdk", "fingerprint", "stacktrace",
}  # fmt: skip
_STRUCT_SLACK = 8
_INT64 = 1 << 63
_MAX_MARKS, _MAX_MARK_LEN = 100, 200
_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)")


@dataclass(frozen=True)
class Limits:
    max_string: int = 8192  # any string value
    max_short: int = 200  # tags, short top-level fields, dict keys
    max_frames: int = 250  # per stacktrace
    max_exceptions: int = 25  # chain length
    max_breadcrumbs: int = 100
    max_vars: int = 50  # keys per dict below the root
    max_list: int = 100  # items per list without a rule of its own
    max_depth: int = 8  # nesting inside free-form sections
    max_tags: int = 100
    max_event_bytes: int = 512 * 1024  # compact UTF-8 JSON, "_trimmed" included


def _cut(s: str, n: int) -> str:
    return s[: max(n - 1, 0)] + ELLIPSIS


class _Raw(str):
    """A literal token on ``bounded_dump``'s work stack."""


def bounded_dump(value, limit: int) -> str:
    """JSON-ish text of ``value``, at most ``limit`` chars, without recursion or full copies."""
    parts, size, stack = [], 0, [value]
    while stack and size <= limit:
        v = stack.pop()
        t = type(v)
        if t is _Raw:
            piece = v
        elif t is str:
            piece = json.dumps(v[:limit], ensure_ascii=False)
        elif t is dict or t is list or t is tuple:
            items = list(islice(v.items() if t is dict else v, limit))
            stack.append(_Raw("}" if t is dict else "]"))
            for i in range(len(items) - 1, -1, -1):
                if t is dict:
                    key, item = items[i]
                    stack += [item, _Raw(json.dumps(str(key)[:limit], ensure_ascii=False) + ": ")]
                else:
                    stack.append(items[i])
                if i:
                    stack.append(_Raw(", "))
            piece = "{" if t is dict else "["
        else:
            try:
                piece = json.dumps(v) if v is None or t in (bool, int, float) else repr(v)
            except Exception:  # huge ints, hostile __repr__
                piece = "<" + t.__name__ + ">"
        parts.append(piece[: limit + 1])
        size += len(parts[-1])
    text = "".join(parts)
    return text if len(text) <= limit and not stack else _cut(text, limit)


def _finalize(paths) -> list[str]:
    out = sorted({p if len(p) <= _MAX_MARK_LEN else _cut(p, _MAX_MARK_LEN) for p in paths})
    if len(out) > _MAX_MARKS:
        out = sorted({_INDEX.sub("*", p) for p in out})
    return out if len(out) <= _MAX_MARKS else [*out[: _MAX_MARKS - 1], ELLIPSIS]


def _json_size(event) -> int:
    try:
        text = json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str)
    except Exception:  # unencodable leftovers: treat as over budget so trimming continues
        return 1 << 62
    return len(text.encode("utf-8", "surrogatepass"))


def _values(container) -> list:
    if type(container) is dict:
        container = container.get("values")
    return container if type(container) is list else []


def _stacktraces(event):
    """(path, stacktrace dict) of every stacktrace in the canonical places."""
    for key in ("exception", "threads"):
        for i, item in enumerate(_values(event.get(key))):
            if type(item) is dict and type(item.get("stacktrace")) is dict:
                yield f"{key}.values.{i}.stacktrace", item["stacktrace"]
    if type(event.get("stacktrace")) is dict:
        yield "stacktrace", event["stacktrace"]


def _frames(event):
    for path, st in _stacktraces(event):
        frames = st.get("frames")
        for i, frame in enumerate(frames if type(frames) is list else ()):
            if type(frame) is dict:
                yield f"{path}.frames.{i}", frame


def _cap(container, key, n: int, newest: bool, path: str, marks: list, exempt: set) -> None:
    """Keep ``n`` entries of ``container[key]``: the last ones or the first ones."""
    value, n = container[key], max(n, 0)
    if len(value) > n:
        if type(value) is dict:
            container[key] = value = dict(islice(value.items(), n))
        elif newest:
            del value[: len(value) - n]
        else:
            del value[n:]
        marks.append(path)
    exempt.add(id(value))


def _structure(event: dict, lim: Limits, marks: list) -> set[int]:
    """Caps with their own rules; returns the ids of the containers they already bounded."""
    exempt = {id(event)}
    for key, n in (("exception", lim.max_exceptions), ("breadcrumbs", lim.max_breadcrumbs)):
        if type(event.get(key)) is dict and type(event[key].get("values")) is list:
            _cap(event[key], "values", n, True, key + ".values", marks, exempt)
    for path, st in _stacktraces(event):
        frames = st.get("frames")
        if type(frames) is list:
            exempt.add(id(frames))
            if len(frames) > lim.max_frames:
                head = lim.max_frames // 5
                tail = len(frames) - (lim.max_frames - head)
                st["frames_omitted"] = [head, tail]
                del frames[head:tail]
                marks.append(path + ".frames")
    for key in _SHORT_FIELDS:
        if type(event.get(key)) is str and len(event[key]) > lim.max_short:
            event[key] = _cut(event[key], lim.max_short)
            marks.append(key)
    if type(event.get("tags")) is dict or type(event.get("tags")) is list:
        _cap(event, "tags", lim.max_tags, False, "tags", marks, exempt)
        tags = event["tags"]
        if type(tags) is dict:
            slots = [(tags, k, f"tags.{k}") for k in tags]
        else:
            slots = [(pair, j, f"tags.{i}.{j}") for i, pair in enumerate(tags)
                     if type(pair) is list for j in range(min(len(pair), 2))]  # fmt: skip
        for container, k, path in slots:
            if type(container[k]) is str and len(container[k]) > lim.max_short:
                container[k] = _cut(container[k], lim.max_short)
                marks.append(path)
    if type(event.get("modules")) is dict:
        exempt.add(id(event["modules"]))
    return exempt


def _vouched(survey: scrub.Survey | None, lim: Limits) -> dict | None:
    """The subtrees a survey shows within ``lim`` (all or none), or None."""
    if survey is None or not (
        survey.longest_text <= lim.max_string
        and survey.largest_dict <= lim.max_vars
        and survey.largest_list <= lim.max_list
        and scrub.KEY_MAX <= lim.max_short
    ):
        return None
    return survey.subtrees


def _trim_pass(event: dict, lim: Limits, marks: list, survey: scrub.Survey | None = None) -> int:
    """Trim once with ``lim``; returns an upper bound of the event's JSON size in bytes."""
    exempt = _structure(event, lim, marks)
    vouched = _vouched(survey, lim)
    max_string, max_short, max_vars, max_list, free_depth = (
        max(n, 0)
        for n in (lim.max_string, lim.max_short, lim.max_vars, lim.max_list, lim.max_depth)
    )
    struct_depth = free_depth + _STRUCT_SLACK
    # What the survey vouches for is counted once here, whether or not the walk reaches it.
    chars, nodes = (survey.chars, survey.entries) if vouched is not None else (0, 0)

    def mark(entry, *tail) -> None:
        # Entries link to their parent entry, so paths are only built for the rare mark.
        keys = list(tail)
        while entry is not None:
            keys.append(entry[4])
            entry = entry[5]
        marks.append(".".join(map(str, reversed(keys[: len(keys) - 1]))) if len(keys) > 1 else "")

    # Iterative, so hostile nesting cannot exhaust the interpreter stack and no call per node.
    # An entry: (node, room, free, parent node, key in parent, parent entry); room is how many
    # more levels may nest below the node (negative: too deep).
    stack = [(event, struct_depth, False, None, None, None)]
    pop, push = stack.pop, stack.append
    while stack:
        entry = pop()
        node, room, free, parent, key, _ = entry
        if room < 0:
            mark(entry)
            parent[key] = text = bounded_dump(node, max_string)
            chars += len(text)
            continue
        if type(node) is dict:
            if len(node) > max_vars and id(node) not in exempt:
                mark(entry)
                for k in list(islice(node, max_vars, None)):
                    del node[k]
            try:  # C-level: only str keys can be joined, and a short total means short keys
                key_chars = len("".join(node))
                bad_keys = key_chars > max_short and max(map(len, node)) > max_short
            except TypeError:
                key_chars, bad_keys = 0, True
            if bad_keys:
                node = _rekey(node, max_short, lambda k, e=entry: mark(e, k))
                if parent is None:  # the root: keep the caller's object
                    event.clear()
                    event.update(node)
                    node = event
                else:
                    parent[key] = node
                entry = (node, *entry[1:])
                key_chars = len(node) * max_short
            chars += key_chars
            items = node.items()
        else:
            if len(node) > max_list and id(node) not in exempt:
                mark(entry)
                del node[max_list:]
            items = enumerate(node)
        nodes += len(node) + 1
        below = room - 1
        for k, v in items:
            t = type(v)
            if t is str:
                n = len(v)
                chars += n
                if n > max_string:
                    node[k] = _cut(v, max_string)
                    mark(entry, k)
            elif t is dict or t is list or t is tuple:
                if t is tuple:
                    node[k] = v = list(v)
                if free or k not in _FREEFORM:
                    child = (v, below, free, node, k, entry)
                else:
                    child = (v, free_depth, True, node, k, entry)
                if vouched is not None:
                    seen = vouched.get(id(v))
                    if seen is not None and seen[0] is v and seen[1] <= child[1] + 1:
                        continue  # scrubbing walked it: within every limit, and deep enough
                # Lists of plain strings (source lines, reprs) are checked in C, not walked:
                # joined, a short total means short items.
                if type(v) is list and v and type(v[0]) is str and len(v) <= max_list:
                    if child[1] >= 0:
                        try:
                            total = len("".join(v))
                        except TypeError:
                            total = -1
                        if 0 <= total and (total <= max_string or max(map(len, v)) <= max_string):
                            chars += total
                            nodes += len(v) + 1
                            continue
                push(child)
            elif t is float or t is bool or v is None or (t is int and -_INT64 <= v < _INT64):
                pass
            elif t is int and v.bit_length() <= 13000:  # json.dumps refuses ~4300+ digits
                chars += v.bit_length() // 3 + 2
            else:
                node[k] = bounded_dump(v, max_short) if t is not int else "<int>"
                mark(entry, k)
    # UTF-8 or JSON escaping takes at most 6 bytes per code point; 32 bytes cover punctuation
    # and any number below 2**63.
    return 6 * chars + 32 * nodes


def _rekey(node: dict, max_short: int, mark) -> dict:
    out = {}
    for k, v in node.items():
        if type(k) is not str or len(k) > max_short:
            k = bounded_dump(k, max_short) if type(k) is not str else _cut(k, max_short)
            mark(k)
            if k in node or k in out:
                continue
        out[k] = v
    return out


def _drop_steps(event: dict):
    """Groups of (container, key, path) to delete, least valuable first."""
    frames = list(_frames(event))
    request = event.get("request") if type(event.get("request")) is dict else {}
    crumbs = enumerate(_values(event.get("breadcrumbs")))
    yield [(f, "vars", p + ".vars") for p, f in frames]
    yield [(c, "data", f"breadcrumbs.values.{i}.data") for i, c in crumbs if type(c) is dict]
    yield [(event, "extra", "extra")]
    yield [(request, "data", "request.data")]
    yield [(event, "modules", "modules")]
    yield [(f, k, f"{p}.{k}") for p, f in frames for k in ("pre_context", "post_context")]
    yield [(event, "contexts", "contexts")]
    yield [(event, "breadcrumbs", "breadcrumbs")]
    yield [(event, "threads", "threads")]
    yield [(request, k, f"request.{k}") for k in list(request) if k not in ("url", "method")]
    yield [(event, k, str(k)) for k in list(event) if k not in _KNOWN_TOP and k != "_trimmed"]


def _halved(limits: Limits) -> Limits | None:
    floors = {"max_string": 64, "max_short": 32}
    changes = {}
    for f in fields(limits):
        value, floor = getattr(limits, f.name), floors.get(f.name, 1)
        if f.name != "max_event_bytes" and value > floor:
            changes[f.name] = max(value // 2, floor)
    return replace(limits, **changes) if changes else None


def _shrink(event: dict, limits: Limits, marks: list, fits) -> None:
    for step in _drop_steps(event):
        dropped = False
        for container, key, path in step:
            if key in container:
                del container[key]
                marks.append(path)
                dropped = True
        if dropped and fits():
            return
    # Still too big: everything left is structural.  Re-trim with ever smaller limits (stack
    # frames_omitted then describe the list as the previous pass left it).
    while (limits := _halved(limits)) is not None:
        _trim_pass(event, limits, marks)
        if fits():
            return
    for key in [k for k, v in event.items() if type(v) is dict or type(v) is list]:
        del event[key]
        marks.append(str(key))


_DEFAULT_LIMITS = Limits()


def trim_event(
    event: dict, limits: Limits = _DEFAULT_LIMITS, survey: scrub.Survey | None = None
) -> dict:
    """Apply ``limits`` in place and return ``event`` (see module docstring).  Never raises.
    ``survey``: scrub.scrub_and_survey's for this event, just before."""
    if type(event) is not dict:
        return event
    event.pop("_trimmed", None)
    marks: list[str] = []
    bound = _trim_pass(event, limits, marks, survey)

    def fits() -> bool:
        if marks:
            event["_trimmed"] = _finalize(marks)
        return _json_size(event) <= limits.max_event_bytes

    # The upper bound spares ordinary events the full serialisation.
    if bound + 6 * sum(map(len, marks)) + 4 * len(marks) + 16 > limits.max_event_bytes:
        if not fits():
            _shrink(event, limits, marks, fits)
    if marks:
        event["_trimmed"] = _finalize(marks)
    return event
