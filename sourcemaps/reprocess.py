"""Stored events against the maps uploaded since: which frames a later upload would map
(the issue page's "arrived after the event" note), and reprocessing an issue's events
(`manage.py reprocess_sourcemaps`). Grouping is not recomputed: an event stays in its issue."""

from __future__ import annotations

import copy

from events.processing import scrub, trim

from . import lookup, symbolicate

LATE_KINDS = (symbolicate.MISSING_DEBUG_ID, symbolicate.MISSING_FILE, symbolicate.MISSING_MAP)


def _frames(data: dict):
    for holder in symbolicate._stack_holders(data):
        stack = holder.get("stacktrace")
        for frame in (stack.get("frames") if isinstance(stack, dict) else None) or []:
            if isinstance(frame, dict):
                yield frame


def unmapped_count(data: dict) -> int:
    return sum(1 for f in _frames(data) if (f.get("data") or {}).get("sourcemap_error"))


def mapped_count(data: dict) -> int:
    return sum(1 for f in _frames(data) if (f.get("data") or {}).get("symbolicated") is True)


def remap(data: dict, project_id: int) -> dict:
    """The event as it would be mapped now: the minified frames again, mapped afresh."""
    data = copy.deepcopy(data)
    for holder in symbolicate._stack_holders(data):
        raw = holder.pop("raw_stacktrace", None)
        if isinstance(raw, dict):
            holder["stacktrace"] = raw
    for frame in _frames(data):
        extra = frame.get("data")
        if isinstance(extra, dict):
            for key in (
                "sourcemap_error",
                "symbolicated",
                "sourcemap",
                "resolved_with",
                "minified",
            ):
                extra.pop(key, None)
            if not extra:
                frame.pop("data")
    return trim.trim_event(scrub.scrub_event(symbolicate.symbolicate_event(data, project_id)))


def arrived_late(data: dict, project_id: int) -> int:
    """How many frames that could not be mapped (no upload matched) would be mapped now."""
    if not any(
        (f.get("data") or {}).get("sourcemap_error", {}).get("type") in LATE_KINDS
        for f in _frames(data)
    ):
        return 0
    lookup.clear()  # the page asks the database, not a worker's cache
    return max(0, mapped_count(remap(data, project_id)) - mapped_count(data))
