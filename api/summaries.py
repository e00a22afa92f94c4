"""A summary line for every operation of the schema (the API docs page lists them), from the
path and method: "List issues of a project", "Update a key of a project". An operation that
names its own (`extend_schema(summary=…)`) keeps it. A drf-spectacular postprocessing hook."""

from __future__ import annotations

import re

_SINGULAR = {"issues": "issue", "events": "event", "members": "member", "projects": "project",
             "keys": "key", "rules": "rule", "deliveries": "delivery", "tags": "tag",
             "organizations": "organization", "releases": "release", "files": "file",
             "deploys": "deploy", "commits": "commit", "repos": "repository",
             "monitors": "monitor", "checkins": "check-in", "filters": "filter",
             "user-feedback": "user feedback"}  # fmt: skip
_PLURAL = {"repos": "repositories", "checkins": "check-ins", "audit-logs": "audit log entries",
           "user-feedback": "user feedback"}  # fmt: skip
_PARENT = {"organizations": "an organization", "projects": "a project", "issues": "an issue",
           "rules": "a rule", "releases": "a release", "monitors": "a monitor"}  # fmt: skip
_OWN = {("get", "/api/0/"): "Who the token belongs to and what it may do",
        ("get", "/api/0/issues/{issue_id}/events/{which}/"): "One event of an issue (latest, oldest or by id)",
        ("get", "/api/0/organizations/{org_slug}/issues/{issue_id}/events/{which}/"):
            "One event of an issue (latest, oldest or by id)",
        ("get", "/api/0/organizations/{org_slug}/chunk-upload/"): "Chunk upload options (sentry-cli)",
        ("post", "/api/0/organizations/{org_slug}/chunk-upload/"): "Upload file chunks",
        ("post", "/api/0/organizations/{org_slug}/artifactbundle/assemble/"):
            "Assemble an artifact bundle from uploaded chunks",
        ("post", "/api/0/organizations/{org_slug}/releases/{version}/assemble/"):
            "Assemble a release bundle from uploaded chunks",
        ("get", "/api/0/organizations/{org_slug}/releases/{version}/previous-with-commits/"):
            "The previous release with commits",
        ("get", "/api/0/organizations/{org_slug}/stats_v2/"): "Outcome counts of an organization",
        ("get", "/api/0/projects/{org_slug}/{project_slug}/filters/options/"):
            "Inbound filter options of a project",
        ("put", "/api/0/projects/{org_slug}/{project_slug}/filters/options/"):
            "Update inbound filter options of a project"}  # fmt: skip


def _article(noun: str) -> str:
    return "an" if re.match(r"[aeio]|u(?!s)", noun) else "a"  # "a user", "an issue"


def summary(method: str, path: str) -> str:
    """E.g. ("get", "/api/0/projects/{org_slug}/{project_slug}/issues/") -> "List issues
    of a project"; ("put", ".../keys/{key_id}/") -> "Update a key of a project"."""
    if (method, path) in _OWN:
        return _OWN[(method, path)]
    parts = [p for p in path.removeprefix("/api/0/").strip("/").split("/") if p]
    names = [(i, p) for i, p in enumerate(parts) if not p.startswith("{")]
    if not names:
        return method.upper() + " " + path
    last_i, last = names[-1]
    one = last_i < len(parts) - 1  # a {placeholder} after the name: one object
    thing = last.replace("_", " ")
    parent = _PARENT.get(names[-2][1]) if len(names) > 1 else None
    if one:
        noun = _SINGULAR.get(last, thing)
        article = _article(noun)
        verb = {"get": "Retrieve", "put": "Update", "patch": "Update", "delete": "Delete"}.get(
            method, method.upper()
        )
        text = f"{verb} {article} {noun}"
    else:
        verb = {"get": "List", "post": "Create", "put": "Bulk update", "delete": "Bulk delete"}
        if method == "post":
            noun = _SINGULAR.get(last, thing)
            article = "" if noun.endswith("feedback") else _article(noun) + " "
        else:
            noun, article = _PLURAL.get(last, thing), ""
        text = f"{verb.get(method, method.upper())} {article}{noun}"
    return f"{text} of {parent}" if parent else text


def add_summaries(result, generator, request, public):
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and not operation.get("summary"):
                operation["summary"] = summary(method, path)
    return result
