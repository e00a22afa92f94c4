"""Releases, deploys, commits and repositories as Sentry's clients read them (the fields
sentry-cli 2.x and 3.x need: `version` and `dateCreated` of a release, `environment` of a
deploy, `id`, `name`, `provider`, `status`, `dateCreated` of a repository). Ids are
strings, times ISO 8601. The reads behind them are in `reads.py` (fixed query counts).
"""

from __future__ import annotations


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def repository(repo) -> dict:
    return {
        "id": str(repo.pk),
        "name": repo.name,
        "url": repo.url or None,
        "provider": {"id": repo.provider or "local", "name": repo.provider or "local"},
        "status": "active",
        "dateCreated": _iso(repo.date_created),
        "integrationId": None,
        "externalSlug": repo.name,
    }


def commit(row) -> dict:
    return {
        "id": row.key,
        "message": row.message or None,
        "dateCreated": _iso(row.timestamp),
        "author": {"name": row.author_name, "email": row.author_email}
        if (row.author_name or row.author_email)
        else None,
        "repository": repository(row.repository),
        "files": row.files,
    }


def deploy(row) -> dict:
    return {
        "id": str(row.pk),
        "environment": row.environment,
        "name": row.name or None,
        "url": row.url or None,
        "dateStarted": _iso(row.date_started),
        "dateFinished": _iso(row.date_finished),
    }


def release(row, facts) -> dict:
    """`facts` is a `reads.ReleaseFacts` for this release."""
    version = row.version
    return {
        "id": row.pk,
        "version": version,
        "shortVersion": version.rpartition("@")[2] if "@" in version else version,
        "ref": row.ref or None,
        "url": row.url or None,
        "status": row.status,
        "dateCreated": _iso(row.date_created),
        "dateStarted": _iso(row.date_started),
        "dateReleased": _iso(row.date_released),
        "firstEvent": _iso(facts.first_event),
        "lastEvent": _iso(facts.last_event),
        "newGroups": facts.new_groups,
        "events": facts.events,
        "projects": [
            {
                "id": p.pk,
                "slug": p.slug,
                "name": p.name,
                "platform": p.platform or None,
                "platforms": [p.platform] if p.platform else [],
                "newGroups": n,
            }
            for p, n in facts.projects
        ],  # fmt: skip
        "commitCount": facts.commit_count,
        "deployCount": facts.deploy_count,
        "lastDeploy": deploy(facts.last_deploy) if facts.last_deploy else None,
        "lastCommit": commit(facts.last_commit) if facts.last_commit else None,
        "authors": [{"name": n, "email": e} for n, e in facts.authors],
        "owner": None,
        "data": {},
        "refs": row.refs,
    }
