"""The write path: queued payloads -> normalized events -> issues, events and counters.

`prepare` is pure (decode, normalize, scrub, trim, group). `store_batch` writes a whole
batch in one transaction, ordered so that concurrent workers neither deadlock nor
double-count:
1. new issues: INSERT .. ON CONFLICT DO NOTHING, sorted by fingerprint (the loser of a
   race for a new fingerprint simply finds the winner's row);
2. events: INSERT .. ON CONFLICT DO NOTHING RETURNING, so only events stored *now* count
   (a redelivered or re-sent event id is skipped);
3. tag and hourly counters: upserts that add, sorted by key;
4. issue counters last, one UPDATE per issue in id order: the hot rows are locked for the
   shortest time, always in the same order.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from django.db import transaction

from . import bulk, compression, fields, grouping, normalize, protocol, scrub, tags, titles, trim
from .bulk import as_json as _json
from .bulk import db_datetime as _dt
from .models import Event, Issue, IssueHourlyCount, IssueTag
from .queue import QueuedPayload


@dataclass(frozen=True)
class PreparedEvent:
    project_id: int
    event_id: str
    packed: bytes  # the event as stored (fields.pack): a batch holds ~4 KB per event, not a dict
    grouping: grouping.GroupingResult
    title: str
    culprit: str
    type: str
    metadata: dict
    level: str
    platform: str
    release: str
    environment: str
    message: str
    timestamp: datetime
    received: datetime
    tags: dict

    @property
    def data(self) -> dict:
        return fields.unpack(self.packed)


@dataclass(frozen=True)
class Outcome:
    """What storing a batch did to one issue; notification code consumes these."""

    issue_id: int
    project_id: int
    new_events: int
    created: bool
    regressed: bool
    unignored: bool = False
    event_ids: tuple[str, ...] = ()  # the new events of this issue in the batch, oldest first


def _parse_event(data: bytes) -> tuple[dict, bool]:
    """(event, parsed by orjson). The edge validated these bytes already (size, depth)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:  # NaN, a BOM...: the lenient path, cleaned downstream
        return protocol.parse_event_json(data, check_depth=False), False
    if type(value) is not dict:
        raise protocol.ProtocolError("event must be a JSON object")
    return value, True


def decode(payload: QueuedPayload) -> tuple[dict, bool]:
    """The raw event dict inside a queued body, and whether orjson parsed it (then it is
    JSON-safe as it is). Raises protocol.ProtocolError."""
    if payload.kind == "envelope":
        data = compression.decompress(
            payload.body, payload.content_encoding, protocol.MAX_ENVELOPE_BYTES
        )
        item = protocol.parse_envelope(data).event_item()
        if item is None:
            raise protocol.ProtocolError("envelope has no event item")
        return _parse_event(item.payload)
    data = compression.decompress(payload.body, payload.content_encoding, protocol.MAX_EVENT_BYTES)
    return _parse_event(protocol.decode_store_body(data))


def _message_text(event: dict) -> str:
    logentry = event.get("logentry") or {}
    text = logentry.get("formatted") or logentry.get("message")
    if not text:
        values = (event.get("exception") or {}).get("values") or []
        if values:
            last = values[-1]
            text = ": ".join(str(p) for p in (last.get("type"), last.get("value")) if p)
    return str(text or "")[:8192]


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def prepare(payload: QueuedPayload) -> PreparedEvent:
    raw, trusted = decode(payload)
    event = normalize.normalize_event(
        raw, received=payload.received, event_id=payload.event_id, client_ip=payload.client_ip,
        trusted=trusted,
    )  # fmt: skip
    event = trim.trim_event(scrub.scrub_event(event))
    grouped = grouping.compute_grouping(event)
    return PreparedEvent(
        project_id=payload.project_id,
        event_id=event["event_id"],
        grouping=grouped,
        title=titles.event_title(event)[:255],
        culprit=titles.event_culprit(event)[:200],
        type=titles.event_type(event),
        metadata=titles.event_metadata(event),
        level=event.get("level") or "error",
        platform=(event.get("platform") or "")[:64],
        release=(event.get("release") or "")[:200],
        environment=(event.get("environment") or "")[:64],
        message=_message_text(event),
        timestamp=_utc(event["timestamp"]),
        received=_utc(payload.received),
        tags=tags.event_tags(event),
        packed=fields.pack(event),  # last: nothing above may change what is stored
    )


# --- The batch write ---------------------------------------------------------------------


def _create_issues(events: list[PreparedEvent]) -> tuple[dict[tuple, int], set[int]]:
    """Issue id per (project, version, fingerprint); ids of issues created by this call."""
    firsts: dict[tuple, PreparedEvent] = {}
    for ev in sorted(events, key=lambda e: e.timestamp):
        firsts.setdefault((ev.project_id, ev.grouping.version, ev.grouping.hash), ev)
    rows, now = [], _dt(datetime.now(UTC))
    for key in sorted(firsts):
        ev = firsts[key]
        ts = _dt(ev.timestamp)
        rows.append(
            (*key, ev.title, ev.culprit, ev.type, ev.level, ev.platform, _json(ev.metadata),
             Issue.Status.UNRESOLVED, ts, ts, now, 0, ev.release, ev.release, ev.event_id, False)
        )  # fmt: skip
    columns = {
        "project_id": "bigint", "grouping_version": "text", "fingerprint": "text",
        "title": "text", "culprit": "text", "type": "text", "level": "text", "platform": "text",
        "metadata": "jsonb", "status": "text", "first_seen": "timestamptz",
        "last_seen": "timestamptz", "created": "timestamptz", "times_seen": "bigint", "first_release": "text",
        "last_release": "text", "last_event_id": "text", "regressed": "boolean",
    }  # fmt: skip
    created = bulk.insert(
        Issue._meta.db_table, columns, rows,
        "ON CONFLICT (project_id, grouping_version, fingerprint) DO NOTHING RETURNING id",
    )  # fmt: skip
    ids: dict[tuple, int] = {}
    by_project = defaultdict(set)
    for project_id, _version, fingerprint in firsts:
        by_project[project_id].add(fingerprint)
    for project_id, fingerprints in by_project.items():
        for pk, version, fingerprint in Issue.objects.filter(
            project_id=project_id, fingerprint__in=fingerprints
        ).values_list("id", "grouping_version", "fingerprint"):
            ids[(project_id, version, fingerprint)] = pk
    return ids, {row[0] for row in created}


def _store_events(events: list[PreparedEvent], issue_ids: dict) -> list[tuple[PreparedEvent, int]]:
    """Insert events; return (event, issue id) for the ones that were not stored before."""
    unique: dict[tuple, PreparedEvent] = {}
    for ev in events:
        unique.setdefault((ev.project_id, ev.event_id), ev)
    rows, issue_of = [], {}
    for key in sorted(unique):
        ev = unique[key]
        issue_id = issue_ids[(ev.project_id, ev.grouping.version, ev.grouping.hash)]
        issue_of[key] = issue_id
        rows.append(
            (ev.project_id, issue_id, ev.event_id, _dt(ev.timestamp), _dt(ev.received), ev.level,
             ev.platform, ev.release, ev.environment, ev.message, ev.packed,
             _json(ev.tags))
        )  # fmt: skip
    columns = {
        "project_id": "bigint", "issue_id": "bigint", "event_id": "text",
        "timestamp": "timestamptz", "received": "timestamptz", "level": "text",
        "platform": "text", "release": "text", "environment": "text", "message": "text",
        "data": "bytea", "tags": "jsonb",
    }  # fmt: skip
    stored = bulk.insert(
        Event._meta.db_table, columns, rows,
        "ON CONFLICT (project_id, event_id) DO NOTHING RETURNING project_id, event_id",
    )  # fmt: skip
    return [(unique[(p, e)], issue_of[(p, e)]) for p, e in stored]


def _hour(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def _count_tags_and_hours(stored: list[tuple[PreparedEvent, int]]) -> None:
    greatest, least = bulk.greatest_least()
    tag_counts: dict[tuple, list] = {}
    hour_counts: dict[tuple, list] = {}
    for ev, issue_id in stored:
        for key, value in ev.tags.items():
            entry = tag_counts.setdefault((issue_id, key, value), [0, ev.timestamp, ev.timestamp])
            entry[0] += 1
            entry[1] = min(entry[1], ev.timestamp)
            entry[2] = max(entry[2], ev.timestamp)
        hour_counts.setdefault((issue_id, _hour(ev.timestamp)), [ev.project_id, 0])[1] += 1
    table = IssueTag._meta.db_table
    bulk.insert(
        table,
        {"issue_id": "bigint", "key": "text", "value": "text", "count": "bigint",
         "first_seen": "timestamptz", "last_seen": "timestamptz"},
        [(*k, n, _dt(first), _dt(last)) for k, (n, first, last) in sorted(tag_counts.items())],
        f"ON CONFLICT (issue_id, key, value) DO UPDATE SET count = {table}.count + excluded.count,"
        f" first_seen = {least}({table}.first_seen, excluded.first_seen),"
        f" last_seen = {greatest}({table}.last_seen, excluded.last_seen)",
    )  # fmt: skip
    table = IssueHourlyCount._meta.db_table
    bulk.insert(
        table, {"issue_id": "bigint", "hour": "timestamptz", "project_id": "bigint", "count": "bigint"},
        [(k[0], _dt(k[1]), p, n) for k, (p, n) in sorted(hour_counts.items())],
        f"ON CONFLICT (issue_id, hour) DO UPDATE SET count = {table}.count + excluded.count",
    )  # fmt: skip


# What the batch write reads and writes back of each issue it touches, with column types.
_ISSUE_STATE = {
    "times_seen": "bigint", "first_seen": "timestamptz", "last_seen": "timestamptz",
    "last_event_id": "text", "first_release": "text", "last_release": "text", "status": "text",
    "regressed": "boolean", "regressed_at": "timestamptz", "resolved_at": "timestamptz",
    "ignore_until": "timestamptz", "ignore_until_count": "bigint",
}  # fmt: skip


def _next_state(state: dict, evs: list[PreparedEvent], now: datetime) -> tuple[dict, bool, bool]:
    """An issue's new counters and status after `evs` (oldest first); (state, regressed,
    unignored). A resolved issue that gets an event comes back; so does an ignored one whose
    time or count has come."""
    first, last = evs[0], evs[-1]
    new = dict(state)
    new["times_seen"] = state["times_seen"] + len(evs)
    new["first_seen"] = min(state["first_seen"], first.timestamp)
    new["last_seen"] = max(state["last_seen"], last.timestamp)
    if last.timestamp >= state["last_seen"]:
        new["last_event_id"] = last.event_id
        release = next((e.release for e in reversed(evs) if e.release), "")
        if release:
            new["last_release"] = release
    if not state["first_release"]:
        new["first_release"] = next((e.release for e in evs if e.release), "")
    regressed = state["status"] == Issue.Status.RESOLVED
    if regressed:
        new.update(
            status=Issue.Status.UNRESOLVED, regressed=True, regressed_at=now, resolved_at=None
        )
    until, count = state["ignore_until"], state["ignore_until_count"]
    unignored = state["status"] == Issue.Status.IGNORED and (
        (until is not None and until <= now) or (count is not None and new["times_seen"] >= count)
    )
    if unignored:
        new.update(status=Issue.Status.UNRESOLVED, ignore_until=None, ignore_until_count=None)
    return new, regressed, unignored


def _update_issues(stored: list[tuple[PreparedEvent, int]], created: set[int]) -> list[Outcome]:
    """Issue counters and status, last in the transaction: the touched issues are read and
    locked in id order (so concurrent workers never deadlock and nobody changes them
    before commit), their new state is worked out here, and written back at once."""
    per_issue: dict[int, list[PreparedEvent]] = defaultdict(list)
    for ev, issue_id in stored:
        per_issue[issue_id].append(ev)
    now = datetime.now(UTC)
    locked = (
        Issue.objects.filter(id__in=list(per_issue)).order_by("id").select_for_update()
    ).values("id", *_ISSUE_STATE)
    rows, outcomes = [], []
    for state in locked:
        issue_id = state.pop("id")
        evs = sorted(per_issue[issue_id], key=lambda e: e.timestamp)
        new, regressed, unignored = _next_state(state, evs, now)
        rows.append((issue_id, *(new[c] for c in _ISSUE_STATE)))
        outcomes.append(
            Outcome(
                issue_id,
                evs[0].project_id,
                len(evs),
                issue_id in created,
                regressed,
                unignored,
                tuple(e.event_id for e in evs),
            )  # fmt: skip
        )
    if rows:
        bulk.update_by_id(Issue._meta.db_table, _ISSUE_STATE, rows)
    return outcomes


def store_batch(events: list[PreparedEvent]) -> list[Outcome]:
    """Store a batch in one transaction; returns one Outcome per issue that got new events."""
    if not events:
        return []
    with transaction.atomic():
        issue_ids, created = _create_issues(events)
        stored = _store_events(events, issue_ids)
        if not stored:
            return []
        _count_tags_and_hours(stored)
        return _update_issues(stored, created)
