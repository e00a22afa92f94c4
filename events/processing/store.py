"""The batch write: prepared events -> issues, events and counters, in one transaction.

`store_batch` writes a whole batch ordered so that concurrent workers neither deadlock nor
double-count:
1. new issues: INSERT .. ON CONFLICT DO NOTHING, sorted by fingerprint (the loser of a
   race for a new fingerprint simply finds the winner's row); the new ones get their short
   id numbers from their projects' counters;
2. events: INSERT .. ON CONFLICT DO NOTHING RETURNING, so only events stored *now* count
   (a redelivered or re-sent event id is skipped);
   Past its project's cap (`Project.events_per_issue`, default `EVENTS_PER_ISSUE`) an issue
   stores only the newest of its events in the batch, and once over the cap it is thinned
   back to 90 % of it in one statement, keeping the first, the latest and the events that
   are furthest apart in time: a storm costs bounded disk, and the thinning runs once per
   tenth of the cap, not per event;
3. tag and hourly counters: upserts that add, sorted by key, over every event counted
   (stored or only sampled), so counts stay exact past the cap;
4. issue counters last: the touched issues are locked in id order, their new state worked
   out here and written back in one statement.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction

from events import releases, shortids
from events.models import Event, Issue, IssueHourlyCount, IssueTag

from . import bulk
from .bulk import as_json as _json
from .bulk import db_datetime as _dt
from .prepare import PreparedEvent


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
    release: str = ""  # a regression's release: the newest release among its new events
    # Every event counted on the issue by this batch, stored or only sampled past the cap:
    # all of them were accepted (outcomes count them so).
    counted_ids: tuple[str, ...] = ()


def _create_issues(
    events: list[PreparedEvent],
) -> tuple[dict[tuple, int], set[int], dict[int, tuple[int, int]]]:
    """Issue id per (project, version, fingerprint); ids of issues created by this call;
    (stored events, cap) per issue id, read without a lock (the cap is approximate between
    concurrent workers; the stored count written back is exact)."""
    firsts: dict[tuple, PreparedEvent] = {}
    for ev in sorted(events, key=lambda e: e.timestamp):
        firsts.setdefault((ev.project_id, ev.grouping.version, ev.grouping.hash), ev)
    rows, now = [], _dt(datetime.now(UTC))
    for key in sorted(firsts):
        ev = firsts[key]
        ts = _dt(ev.timestamp)
        rows.append(
            (*key, ev.title, ev.culprit, ev.type, ev.level, ev.platform, _json(ev.metadata),
             Issue.Status.UNRESOLVED, ts, ts, now, 0, 0, ev.release, ev.release, ev.event_id,
             False)
        )  # fmt: skip
    columns = {
        "project_id": "bigint", "grouping_version": "text", "fingerprint": "text",
        "title": "text", "culprit": "text", "type": "text", "level": "text", "platform": "text",
        "metadata": "jsonb", "status": "text", "first_seen": "timestamptz",
        "last_seen": "timestamptz", "created": "timestamptz", "times_seen": "bigint",
        "stored_count": "bigint", "first_release": "text", "last_release": "text", "last_event_id": "text", "regressed": "boolean",
    }  # fmt: skip
    created = bulk.insert(
        Issue._meta.db_table, columns, rows,
        "ON CONFLICT (project_id, grouping_version, fingerprint) DO NOTHING RETURNING id",
    )  # fmt: skip
    ids: dict[tuple, int] = {}
    room: dict[int, tuple[int, int]] = {}
    by_project = defaultdict(set)
    for project_id, _version, fingerprint in firsts:
        by_project[project_id].add(fingerprint)
    default_cap = settings.EVENTS_PER_ISSUE
    for project_id, fingerprints in by_project.items():
        for pk, version, fingerprint, stored, cap in Issue.objects.filter(
            project_id=project_id, fingerprint__in=fingerprints
        ).values_list(
            "id", "grouping_version", "fingerprint", "stored_count", "project__events_per_issue"
        ):
            ids[(project_id, version, fingerprint)] = pk
            room[pk] = (stored, cap or default_cap)
    created_ids = {row[0] for row in created}
    _number_issues(ids, created_ids)
    return ids, created_ids, room


def _number_issues(ids: dict[tuple, int], created: set[int]) -> None:
    """Short id numbers for the issues this batch made, from their projects' counters (taken
    in project id order, so concurrent workers lock the counters in one order)."""
    if not created:
        return
    per_project: dict[int, list[int]] = defaultdict(list)
    for (project_id, _version, _fingerprint), pk in ids.items():
        if pk in created:
            per_project[project_id].append(pk)
    rows = []
    for project_id in sorted(per_project):
        pks = sorted(per_project[project_id])
        first = shortids.allocate(project_id, len(pks))
        rows += [(pk, first + i) for i, pk in enumerate(pks)]
    bulk.update_by_id(Issue._meta.db_table, {"short_number": "bigint"}, rows)


def _sample(
    unique: dict[tuple, PreparedEvent], issue_ids: dict, room: dict
) -> tuple[dict[tuple, int], list[tuple[PreparedEvent, int]]]:
    """Which events to store: (key -> issue id) of those, and (event, issue id) of those only
    counted. Within its cap an issue stores all; past it, the newest of the batch."""
    per_issue: dict[int, list[tuple]] = defaultdict(list)
    for key, ev in unique.items():
        per_issue[issue_ids[(ev.project_id, ev.grouping.version, ev.grouping.hash)]].append(key)
    keep, counted_only = {}, []
    for issue_id, keys in per_issue.items():
        stored, cap = room[issue_id]
        if stored + len(keys) > cap:
            keys.sort(key=lambda k: (unique[k].timestamp, k))
            # The room left, with the latest in its last place; when full, the latest only.
            free = max(cap - stored - 1, 0)
            keys, dropped = keys[:free] + keys[-1:], keys[free:-1]
            counted_only.extend((unique[k], issue_id) for k in dropped)
        for key in keys:
            keep[key] = issue_id
    return keep, counted_only


def _store_events(
    events: list[PreparedEvent], issue_ids: dict, room: dict
) -> tuple[list[tuple[PreparedEvent, int]], list[tuple[PreparedEvent, int]]]:
    """Insert events; return (event, issue id) for the ones that were not stored before, and
    for the ones only counted (past their issue's cap)."""
    unique: dict[tuple, PreparedEvent] = {}
    for ev in events:
        unique.setdefault((ev.project_id, ev.event_id), ev)
    issue_of, counted_only = _sample(unique, issue_ids, room)
    rows = []
    for key in sorted(issue_of):
        ev, issue_id = unique[key], issue_of[key]
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
    return [(unique[(p, e)], issue_of[(p, e)]) for p, e in stored], counted_only


def _thin(now_stored: dict[int, int], room: dict) -> dict[int, int]:
    """Issues over their cap lose their most crowded events down to 90 % of it, in one
    statement: never the first or the latest; of the rest, those closest in time to the
    event before them, so what stays is spread over the issue's life. `now_stored`: events
    stored per issue by this batch. Returns deleted events per issue."""
    excess = {}
    for issue_id, n in now_stored.items():
        before, cap = room[issue_id]
        if before + n > cap:
            excess[issue_id] = before + n - (cap - max(cap // 10, 1))
    if not excess:
        return {}
    table = Event._meta.db_table
    seconds = (
        "EXTRACT(EPOCH FROM timestamp)" if bulk.is_postgres() else "julianday(timestamp) * 86400"
    )
    ids = sorted(excess)
    cases = " ".join(["WHEN %s THEN %s"] * len(ids))
    sql = (
        f"DELETE FROM {table} WHERE id IN (SELECT id FROM ("
        f" SELECT id, issue_id, ROW_NUMBER() OVER (PARTITION BY issue_id ORDER BY gap, id) AS r"
        f" FROM (SELECT id, issue_id,"
        f"  {seconds} - LAG({seconds}) OVER (PARTITION BY issue_id ORDER BY timestamp, id) AS gap,"
        f"  ROW_NUMBER() OVER (PARTITION BY issue_id ORDER BY timestamp DESC, id DESC) AS from_end"
        f"  FROM {table} WHERE issue_id IN ({', '.join(['%s'] * len(ids))})) AS spaced"
        f" WHERE gap IS NOT NULL AND from_end > 1) AS ranked"
        f" WHERE r <= CASE issue_id {cases} END) RETURNING issue_id"
    )
    params = [*ids, *(v for i in ids for v in (i, excess[i]))]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        deleted: dict[int, int] = defaultdict(int)
        for (issue_id,) in cur.fetchall():
            deleted[issue_id] += 1
    return deleted


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
    # Each time in the database's form once, not twice per tag row (~20 conversions an event).
    db = {t: _dt(t) for ev, _i in stored for t in (ev.timestamp, _hour(ev.timestamp))}
    table = IssueTag._meta.db_table
    bulk.insert(
        table,
        {"issue_id": "bigint", "key": "text", "value": "text", "count": "bigint",
         "first_seen": "timestamptz", "last_seen": "timestamptz"},
        [(*k, n, db[first], db[last]) for k, (n, first, last) in sorted(tag_counts.items())],
        f"ON CONFLICT (issue_id, key, value) DO UPDATE SET count = {table}.count + excluded.count,"
        f" first_seen = {least}({table}.first_seen, excluded.first_seen),"
        f" last_seen = {greatest}({table}.last_seen, excluded.last_seen)",
    )  # fmt: skip
    table = IssueHourlyCount._meta.db_table
    bulk.insert(
        table, {"issue_id": "bigint", "hour": "timestamptz", "project_id": "bigint", "count": "bigint"},
        [(k[0], db[k[1]], p, n) for k, (p, n) in sorted(hour_counts.items())],
        f"ON CONFLICT (issue_id, hour) DO UPDATE SET count = {table}.count + excluded.count",
    )  # fmt: skip


# What the batch write reads and writes back of each issue it touches, with column types.
_ISSUE_STATE = {
    "times_seen": "bigint", "first_seen": "timestamptz", "last_seen": "timestamptz",
    "last_event_id": "text", "first_release": "text", "last_release": "text", "status": "text",
    "regressed": "boolean", "regressed_at": "timestamptz", "resolved_at": "timestamptz",
    "ignore_until": "timestamptz", "ignore_until_count": "bigint", "resolved_in_release": "text",
    "stored_count": "bigint",
}  # fmt: skip


def _next_state(
    state: dict, evs: list[PreparedEvent], now: datetime, stays_resolved: bool = False
) -> tuple[dict, bool, bool]:
    """An issue's new counters and status after `evs` (oldest first); (state, regressed,
    unignored). A resolved issue that gets an event comes back, unless it was resolved in a
    release and every event is of that release or an older one (`stays_resolved`); so does
    an ignored one whose time or count has come."""
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
    regressed = state["status"] == Issue.Status.RESOLVED and not stays_resolved
    if regressed:
        new.update(
            status=Issue.Status.UNRESOLVED, regressed=True, regressed_at=now, resolved_at=None,
            resolved_in_release="",
        )  # fmt: skip
    until, count = state["ignore_until"], state["ignore_until_count"]
    unignored = state["status"] == Issue.Status.IGNORED and (
        (until is not None and until <= now) or (count is not None and new["times_seen"] >= count)
    )
    if unignored:
        new.update(status=Issue.Status.UNRESOLVED, ignore_until=None, ignore_until_count=None)
    return new, regressed, unignored


def _old_releases(locked: list[dict], per_issue: dict[int, list]) -> set[int]:
    """Ids of the resolved-in-a-release issues whose new events are all of that release or
    an older one (an event without a release cannot be placed: it counts as newer). One
    question to the release hook, and only when such an issue got events."""
    baselines = {
        s["id"]: s["resolved_in_release"]
        for s in locked
        if s["status"] == Issue.Status.RESOLVED and s["resolved_in_release"]
    }
    hook = releases.hook()
    if not baselines or hook is None:
        return set()
    checks = {}
    for issue_id, baseline in baselines.items():
        evs = per_issue[issue_id]
        if any(not e.release for e in evs):
            continue
        checks[issue_id] = {
            (e.project_id, e.release, baseline) for e in evs if e.release != baseline
        }
    newer = hook.newer(set().union(*checks.values())) if checks else set()
    return {issue_id for issue_id, triples in checks.items() if not triples & newer}


def _by_time(ev: PreparedEvent):
    return ev.timestamp


def _by_time_id(ev: PreparedEvent):
    return ev.timestamp, ev.event_id


def _update_issues(
    counted: list[tuple[PreparedEvent, int]],
    created: set[int],
    stored_delta: dict[int, int] | None = None,
    stored_keys: set[tuple] | None = None,
) -> list[Outcome]:
    """Issue counters and status, last in the transaction: the touched issues are read and
    locked in id order (so concurrent workers never deadlock and nobody changes them
    before commit), their new state is worked out here, and written back at once."""
    per_issue: dict[int, list[PreparedEvent]] = defaultdict(list)
    for ev, issue_id in counted:
        per_issue[issue_id].append(ev)
    now = datetime.now(UTC)
    locked = (
        Issue.objects.filter(id__in=list(per_issue)).order_by("id").select_for_update()
    ).values("id", *_ISSUE_STATE)
    locked = list(locked)
    old = _old_releases(locked, per_issue)
    rows, outcomes = [], []
    for state in locked:
        issue_id = state.pop("id")
        # Past a cap, ties broken as _sample breaks them: the latest is the one it stored.
        evs = sorted(per_issue[issue_id], key=_by_time if stored_keys is None else _by_time_id)
        new, regressed, unignored = _next_state(state, evs, now, issue_id in old)
        if stored_delta is not None:
            new["stored_count"] = max(state["stored_count"] + stored_delta.get(issue_id, 0), 0)
        rows.append((issue_id, *(new[c] for c in _ISSUE_STATE)))
        outcomes.append(
            Outcome(
                issue_id,
                evs[0].project_id,
                len(evs),
                issue_id in created,
                regressed,
                unignored,
                tuple(
                    e.event_id
                    for e in evs
                    if stored_keys is None or (e.project_id, e.event_id) in stored_keys
                ),
                new["last_release"] if regressed else "",
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
        issue_ids, created, room = _create_issues(events)
        stored, counted_only = _store_events(events, issue_ids, room)
        if not stored:
            return []
        delta: dict[int, int] = defaultdict(int)
        for _ev, issue_id in stored:
            delta[issue_id] += 1
        for issue_id, n in _thin(dict(delta), room).items():
            delta[issue_id] -= n
        stored_keys = None
        counted = stored
        if counted_only:
            # A redelivered batch finds its stored events there already: its sampled ones were
            # counted then too, so only issues that stored something now count them.
            counted = stored + [(ev, i) for ev, i in counted_only if i in delta]
            stored_keys = {(ev.project_id, ev.event_id) for ev, _i in stored}
        _count_tags_and_hours(counted)
        hook = releases.hook()
        recorded = hook.record_batch(counted, created) if hook is not None else None
        outcomes = _update_issues(counted, created, delta, stored_keys)
        if recorded is not None:
            hook.count_batch(recorded)
        return outcomes
