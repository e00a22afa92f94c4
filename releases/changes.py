"""Writes the API makes to releases: create or update (finalize, projects, status, refs,
commits), deploys. Views validate the body first (`inputs.py`) and check access."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions

from .models import Commit, Deploy, Release, ReleaseCommit, ReleaseProject, Repository

MAX_COMMITS = 10_000


def projects_named(organization, slugs: list[str]) -> list:
    projects = list(organization.projects.filter(slug__in=set(slugs)))
    missing = set(slugs) - {p.slug for p in projects}
    if missing:
        raise exceptions.ValidationError(
            {"detail": f"Invalid project slugs: {', '.join(sorted(missing))}."}
        )
    return projects


def link_projects(release, projects) -> None:
    ReleaseProject.objects.bulk_create(
        [ReleaseProject(release=release, project=p) for p in projects], ignore_conflicts=True
    )


def get_or_create(organization, version: str) -> tuple[Release, bool]:
    try:
        with transaction.atomic():
            return Release.objects.get_or_create(organization=organization, version=version)
    except IntegrityError:  # a worker made it meanwhile
        return Release.objects.get(organization=organization, version=version), False


def _set_commits(release, commits: list[dict]) -> None:
    """The release's commits as `set-commits --local` sends them, newest first. Repositories
    are made by name (the git remote's, e.g. "origin"); made this way they have no provider
    and are not listed by `GET O/repos/`, so sentry-cli's repository modes are unaffected."""
    ReleaseCommit.objects.filter(release=release).delete()
    repos: dict[str, Repository] = {}
    links = []
    for order, data in enumerate(commits[:MAX_COMMITS]):
        name = data.get("repository") or "local"
        repo = repos.get(name)
        if repo is None:
            repo, _ = Repository.objects.get_or_create(
                organization_id=release.organization_id, name=name
            )
            repos[name] = repo
        fields = {
            "message": data.get("message") or "",
            "author_name": data.get("author_name") or "",
            "author_email": data.get("author_email") or "",
            "timestamp": data.get("timestamp"),
            "files": [
                {"path": f["path"], "type": f.get("type") or ""} for f in data.get("patch_set", [])
            ],
        }
        commit, _ = Commit.objects.update_or_create(
            repository=repo, key=data["id"], defaults=fields
        )
        links.append(ReleaseCommit(release=release, commit=commit, order=order))
    ReleaseCommit.objects.bulk_create(links, ignore_conflicts=True)


def _set_refs(release, refs: list[dict]) -> None:
    """`set-commits --commit repo@sha` / `--auto`: the head commit of each named repository
    (which must be configured: sentry-cli only sends names it found in `GET O/repos/`).
    Without a code-host integration we cannot list the commits between two refs."""
    names = {r["repository"] for r in refs}
    repos = {
        r.name: r
        for r in Repository.objects.filter(organization_id=release.organization_id, name__in=names)
    }
    if unknown := names - set(repos):
        raise exceptions.ValidationError(
            {"detail": f"Unknown repository: {', '.join(sorted(unknown))}."}
        )
    ReleaseCommit.objects.filter(release=release).delete()
    for order, ref in enumerate(refs):
        commit, _ = Commit.objects.get_or_create(
            repository=repos[ref["repository"]], key=ref["commit"]
        )
        ReleaseCommit.objects.get_or_create(
            release=release, commit=commit, defaults={"order": order}
        )
    release.refs = [
        {"repository": r["repository"], "commit": r["commit"],
         "previousCommit": r.get("previousCommit") or None}
        for r in refs
    ]  # fmt: skip


@transaction.atomic
def update(release, data: dict, projects: list) -> Release:
    """Apply a validated body (create or update) to a release."""
    fields = []
    for key, attr in (("ref", "ref"), ("url", "url")):
        if key in data:
            setattr(release, attr, data[key] or "")
            fields.append(attr)
    for key, attr in (("dateStarted", "date_started"), ("dateReleased", "date_released")):
        if key in data:
            setattr(release, attr, data[key])
            fields.append(attr)
    if "status" in data:
        release.status = data["status"]
        fields.append("status")
    link_projects(release, projects)
    if "refs" in data:
        _set_refs(release, data["refs"])
        fields.append("refs")
    if "commits" in data:
        _set_commits(release, data["commits"])
    if fields:
        release.save(update_fields=fields)
    return release


def add_deploy(release, data: dict) -> Deploy:
    return Deploy.objects.create(
        release=release,
        environment=data["environment"],
        name=data.get("name") or "",
        url=data.get("url") or "",
        date_started=data.get("dateStarted"),
        date_finished=data.get("dateFinished") or timezone.now(),
    )
