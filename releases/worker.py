"""What the worker's batch write does about releases (registered as `events.releases`' hook):
a release an event names is created the first time its project sees it, and the release's
per-project counters (events, new issues, first and last event) move with each batch.

Two statements per batch that has events with a release, whatever the batch size, and none
for a batch without: the releases are made before the issues are updated (whose regression
check may ask for their order), the counters after, as the transaction's last write, since
every batch of a release updates the same rows. No cache of known releases: one deleted through the API comes back
with the next event that names it. Rows are written in key order so that concurrent workers
do not deadlock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection

from events.processing import bulk
from projects.models import Project

from . import ordering
from .models import MAX_VERSION, Release, ReleaseProject


def _cast(sql_type: str) -> str:
    # PostgreSQL needs the parameter types in a VALUES list; SQLite would change values by a cast.
    return f"CAST(%s AS {sql_type})" if bulk.is_postgres() else "%s"


def _counts(stored: list, created: set[int]) -> dict[tuple[int, str], list]:
    """(project id, release) -> [events, new issues, first event, last event]."""
    per: dict[tuple[int, str], list] = {}
    firsts: dict[int, object] = {}  # a created issue's earliest event of the batch
    for ev, issue_id in stored:
        if issue_id in created:
            first = firsts.get(issue_id)
            if first is None or ev.timestamp < first.timestamp:
                firsts[issue_id] = ev
        if not ev.release:
            continue
        entry = per.get((ev.project_id, ev.release[:MAX_VERSION]))
        if entry is None:
            per[(ev.project_id, ev.release[:MAX_VERSION])] = [1, 0, ev.timestamp, ev.timestamp]
        else:
            entry[0] += 1
            entry[2] = min(entry[2], ev.timestamp)
            entry[3] = max(entry[3], ev.timestamp)
    for ev in firsts.values():
        if ev.release:
            per[(ev.project_id, ev.release[:MAX_VERSION])][1] += 1
    return per


def _create_releases(keys: list[tuple[int, str]]) -> None:
    values = ", ".join([f"({_cast('bigint')}, {_cast('text')})"] * len(keys))
    refs = "CAST('[]' AS jsonb)" if bulk.is_postgres() else "'[]'"
    sql = (
        f"WITH v(project_id, version) AS (VALUES {values}) "
        f"INSERT INTO {Release._meta.db_table} "
        "(organization_id, version, date_created, url, ref, status, refs) "
        f"SELECT p.organization_id, v.version, {_cast('timestamptz')}, '', '', 'open', {refs} "
        f"FROM v JOIN {Project._meta.db_table} p ON p.id = v.project_id "
        # Not even trying the known ones keeps PostgreSQL's id sequence (first-seen order) tidy.
        f"WHERE NOT EXISTS (SELECT 1 FROM {Release._meta.db_table} r "
        "WHERE r.organization_id = p.organization_id AND r.version = v.version) "
        "ORDER BY p.organization_id, v.version "
        "ON CONFLICT (organization_id, version) DO NOTHING"
    )
    params = [x for key in keys for x in key] + [bulk.db_datetime(datetime.now(UTC))]
    with connection.cursor() as cur:
        cur.execute(sql, params)


def _count(per: dict[tuple[int, str], list]) -> None:
    greatest, least = bulk.greatest_least()
    ts = _cast("timestamptz")
    row = f"({_cast('bigint')}, {_cast('text')}, {_cast('bigint')}, {_cast('bigint')}, {ts}, {ts})"
    keys = sorted(per)
    table = ReleaseProject._meta.db_table
    sql = (
        f"WITH v(project_id, version, n, n_new, f_ev, l_ev) AS "
        f"(VALUES {', '.join([row] * len(keys))}) "
        f"INSERT INTO {table} (release_id, project_id, events, new_groups, first_event, last_event) "
        f"SELECT r.id, v.project_id, v.n, v.n_new, v.f_ev, v.l_ev FROM v "
        f"JOIN {Project._meta.db_table} p ON p.id = v.project_id "
        f"JOIN {Release._meta.db_table} r "
        "ON r.organization_id = p.organization_id AND r.version = v.version WHERE 1 = 1 "
        "ORDER BY r.id, v.project_id "
        "ON CONFLICT (release_id, project_id) DO UPDATE SET "
        f"events = {table}.events + excluded.events, "
        f"new_groups = {table}.new_groups + excluded.new_groups, "
        f"first_event = {least}(COALESCE({table}.first_event, excluded.first_event), "
        "excluded.first_event), "
        f"last_event = {greatest}(COALESCE({table}.last_event, excluded.last_event), "
        "excluded.last_event)"
    )
    params = []
    for key in keys:
        n, n_new, first, last = per[key]
        params += [*key, n, n_new, bulk.db_datetime(first), bulk.db_datetime(last)]
    with connection.cursor() as cur:
        cur.execute(sql, params)


def _ranks(project_ids: set[int], versions: set[str]) -> tuple[dict, dict]:
    """(project id -> organization id, (organization id, version) -> first-seen rank)."""
    orgs = dict(Project.objects.filter(pk__in=project_ids).values_list("pk", "organization_id"))
    rows = Release.objects.filter(organization_id__in=set(orgs.values()), version__in=versions)
    ranks = {(o, v): pk for pk, o, v in rows.values_list("pk", "organization_id", "version")}
    return orgs, ranks


class Hook:
    def record_batch(self, stored: list, created: set[int]) -> dict | None:
        per = _counts(stored, created)
        if not per:
            return None
        _create_releases(sorted(per))
        return per

    def count_batch(self, recorded: dict) -> None:
        _count(recorded)

    def newer(self, checks: set[tuple[int, str, str]]) -> set[tuple[int, str, str]]:
        if not checks:
            return set()
        orgs, ranks = _ranks({c[0] for c in checks}, {v for c in checks for v in c[1:]})
        unseen = 2**62  # a baseline not seen yet is later than every release seen so far
        out = set()
        for project_id, version, baseline in checks:
            org = orgs.get(project_id)
            seen_v = ranks.get((org, version), unseen)
            seen_b = ranks.get((org, baseline), unseen)
            if ordering.compare(version, baseline, seen_v, seen_b) > 0:
                out.add((project_id, version, baseline))
        return out

    def latest(self, project_ids: set[int]) -> dict[int, str]:
        per_project: dict[int, dict[str, int]] = {}
        rows = ReleaseProject.objects.filter(project_id__in=project_ids).values_list(
            "project_id", "release__version", "release_id"
        )
        for project_id, version, release_id in rows:
            per_project.setdefault(project_id, {})[version] = release_id
        return {p: ordering.newest(versions) for p, versions in per_project.items()}


HOOK = Hook()
