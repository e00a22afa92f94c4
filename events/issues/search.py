"""The issue search language: a query string -> `IssueQuery` -> Django filters.

    database error is:unresolved level:error environment:prod release:1.2 browser:Chrome

A short id alone (`WEB-SHOP-12`, any case) finds that issue whatever its status, besides
what it matches as words. Free words match title, culprit and exception message (every word must match; on PostgreSQL
a prefix match on the full-text index, on SQLite a case-insensitive substring). `key:value`
with a key other than is/level/environment/release/firstRelease/assigned filters by tag; quote values
with spaces: `server_name:"web 1"`. Parsing is pure; `issue_filter` only builds Q objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from django.db.models import BooleanField, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from events import shortids
from events.models import IssueTag

STATUSES = ("unresolved", "resolved", "ignored", "all")
UNRESOLVED = "unresolved"
LEVELS = ("fatal", "error", "warning", "info", "debug")
_KEY_ALIASES = {"env": "environment", "status": "is", "firstrelease": "first_release"}
_TOKEN = re.compile(
    r'(?P<key>[A-Za-z_][\w.\-]*):(?:"(?P<qvalue>[^"]*)"|(?P<value>[^\s"]+))|"(?P<phrase>[^"]*)"|(?P<word>\S+)'
)
_WORD = re.compile(r"[^\W_]+")

# A stored tsvector column with a GIN index, PostgreSQL only: migration 0004_issue_search_index.
SEARCH_VECTOR = "events_issue.search_vector"


@dataclass(frozen=True)
class IssueQuery:
    words: tuple[str, ...] = ()
    status: str | None = None  # None: the caller's default
    levels: tuple[str, ...] = ()
    environment: str | None = None
    release: str | None = None
    first_release: str | None = None  # `firstRelease:`: the release the issue first came in
    assigned: str | None = None  # "me", "none", or a username
    tags: tuple[tuple[str, str], ...] = ()
    short_id: tuple[str, int] | None = None  # (project slug, number)

    def with_filters(self, **overrides) -> IssueQuery:
        """This query with the filter form's non-empty fields taking precedence."""
        return replace(self, **{k: v for k, v in overrides.items() if v})


def parse(text: str) -> IssueQuery:
    words: list[str] = []
    fields: dict = {"levels": [], "tags": []}
    for match in _TOKEN.finditer(text or ""):
        key = match.group("key")
        if key is None:
            words += _WORD.findall(match.group("phrase") or match.group("word") or "")
            continue
        value = match.group("qvalue") if match.group("qvalue") is not None else match.group("value")
        key = _KEY_ALIASES.get(key.lower(), key)
        if key == "is":
            value = value.lower()
            if value in STATUSES:
                fields["status"] = value
            elif value in ("assigned", "unassigned"):
                fields["assigned"] = "none" if value == "unassigned" else "any"
            continue
        if key == "level":
            fields["levels"] += [v for v in value.lower().split(",") if v in LEVELS]
        elif key in ("environment", "release", "assigned", "first_release"):
            fields[key] = value
        elif value:
            fields["tags"].append((key[:200], value[:200]))
    tokens = (text or "").split()
    short_id = shortids.parse(tokens[0]) if len(tokens) == 1 else None
    return IssueQuery(
        short_id=short_id,
        words=tuple(w.lower() for w in words),
        status=fields.get("status"),
        levels=tuple(dict.fromkeys(fields["levels"])),
        environment=fields.get("environment"),
        release=fields.get("release"),
        first_release=fields.get("first_release"),
        assigned=fields.get("assigned"),
        tags=tuple(fields["tags"]),
    )


def _has_tag(key: str, value: str) -> Exists:
    return Exists(IssueTag.objects.filter(issue=OuterRef("pk"), key=key, value=value))


def text_filter(words: tuple[str, ...], vendor: str) -> Q:
    if not words:
        return Q()
    if vendor == "postgresql":
        # Words are letters and digits only, so the tsquery syntax cannot be broken.
        tsquery = " & ".join(f"{w}:*" for w in words)
        match = RawSQL(
            f"{SEARCH_VECTOR} @@ to_tsquery('simple'::regconfig, %s)",
            [tsquery],
            output_field=BooleanField(),
        )
        return Q(match)
    q = Q()
    for word in words:
        q &= (
            Q(title__icontains=word)
            | Q(culprit__icontains=word)
            | Q(metadata__value__icontains=word)
        )
    return q


def issue_filter(query: IssueQuery, *, vendor: str, user_id: int | None = None) -> Q:
    """Q for Issue.objects.filter: everything in the query except the default status."""
    q = text_filter(query.words, vendor)
    if query.status and query.status != "all":
        q &= Q(status=query.status)
    elif query.short_id is not None and query.status is None:
        q &= Q(status=UNRESOLVED)  # the default, for what the words match (see below)
    if query.short_id is not None:
        # Someone who types WEB-12 wants that issue, resolved or not.
        slug, number = query.short_id
        q = Q(project__slug=slug, short_number=number) | q
    if query.levels:
        q &= Q(level__in=query.levels)
    if query.environment:
        q &= Q(_has_tag("environment", query.environment))
    if query.release:
        q &= Q(_has_tag("release", query.release))
    if query.first_release:
        q &= Q(first_release=query.first_release)
    for key, value in query.tags:
        q &= Q(_has_tag(key, value))
    if query.assigned == "none":
        q &= Q(assignee__isnull=True)
    elif query.assigned == "any":
        q &= Q(assignee__isnull=False)
    elif query.assigned == "me":
        q &= Q(assignee_id=user_id)
    elif query.assigned:
        q &= Q(assignee__username=query.assigned)
    return q
