"""What the API and the dashboard read about releases: a fixed number of queries for a page
of releases, whatever its length."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count

from .models import Commit, Deploy, ReleaseCommit, ReleaseProject


@dataclass
class ReleaseFacts:
    projects: list = field(default_factory=list)  # (project, new issues)
    new_groups: int = 0
    events: int = 0
    first_event: datetime | None = None
    last_event: datetime | None = None
    commit_count: int = 0
    deploy_count: int = 0
    last_deploy: Deploy | None = None
    last_commit: Commit | None = None
    authors: list = field(default_factory=list)  # (name, email)


def facts(releases: list, *, project_ids: set[int] | None = None) -> dict[int, ReleaseFacts]:
    """Release id -> its facts; with `project_ids`, counters of those projects only. Four
    queries."""
    ids = [r.pk for r in releases]
    out = {pk: ReleaseFacts() for pk in ids}
    links = ReleaseProject.objects.filter(release_id__in=ids).select_related("project")
    for link in links.order_by("project__slug"):
        f = out[link.release_id]
        f.projects.append((link.project, link.new_groups))
        if project_ids is not None and link.project_id not in project_ids:
            continue
        f.new_groups += link.new_groups
        f.events += link.events
        if link.first_event and (f.first_event is None or link.first_event < f.first_event):
            f.first_event = link.first_event
        if link.last_event and (f.last_event is None or link.last_event > f.last_event):
            f.last_event = link.last_event
    deploys = Deploy.objects.filter(release_id__in=ids).values("release_id")
    for row in deploys.annotate(n=Count("id")):
        out[row["release_id"]].deploy_count = row["n"]
    latest = Deploy.objects.filter(release_id__in=ids).order_by("release_id", "-date_finished")
    for deploy in latest:
        f = out[deploy.release_id]
        if f.last_deploy is None:
            f.last_deploy = deploy
    commits = (
        ReleaseCommit.objects.filter(release_id__in=ids)
        .select_related("commit__repository")
        .order_by("release_id", "order")
    )
    authors = defaultdict(dict)
    for link in commits:
        f = out[link.release_id]
        f.commit_count += 1
        if f.last_commit is None:
            f.last_commit = link.commit
        c = link.commit
        if c.author_email or c.author_name:
            authors[link.release_id].setdefault((c.author_email, c.author_name), None)
    for pk, seen in authors.items():
        out[pk].authors = [(name, email) for email, name in seen]
    return out
