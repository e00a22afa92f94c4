"""Dashboard pages: a project's releases and one release (issues new in it and resolved in
it, deploys, commits with authors); the issue page's "Releases" panel. Members only, through
`projects.access`; templates escape everything."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from events.dashboard.panels import Panel
from events.issues.pagination import paginate
from events.models import Issue
from projects import access

from . import reads
from .models import Release, ReleaseCommit

PAGE = 50
ISSUES_SHOWN = 50
COMMITS_SHOWN = 200


def issue_panel(request, issue) -> Panel | None:
    """First, last and resolved-in release of the issue, linked when the release exists."""
    versions = {
        v for v in (issue.first_release, issue.last_release, issue.resolved_in_release) if v
    }
    if not versions:
        return None
    org = issue.project.organization
    known = set(
        Release.objects.filter(organization=org, version__in=versions).values_list(
            "version", flat=True
        )
    )
    rows = [
        (label, version, version in known)
        for label, version in (
            ("First seen in", issue.first_release),
            ("Last seen in", issue.last_release),
            ("Resolved in", issue.resolved_in_release),
        )
        if version
    ]
    return Panel("Releases", "releases/_issue_panel.html", {"rows": rows, "org_slug": org.slug})


@access.rule("viewer")
@login_required
@require_GET
def project_releases(request, org_slug, project_slug):
    project = access.project_or_404(request.user, org_slug, project_slug)
    qs = Release.objects.filter(releaseproject__project=project)
    page = paginate(
        qs, key="id", descending=True, cursor=request.GET.get("cursor") or None, size=PAGE
    )
    found = reads.facts(page.items, project_ids={project.pk})
    rows = [(r, found[r.pk]) for r in page.items]
    return render(
        request, "releases/project_releases.html", {"project": project, "rows": rows, "page": page}
    )


@access.rule("viewer")
@login_required
@require_GET
def release_detail(request, org_slug, version):
    org = access.membership_or_404(request.user, org_slug).organization
    release = None
    if "\x00" not in version:  # PostgreSQL text cannot hold it
        release = Release.objects.filter(organization=org, version=version).first()
    if release is None:
        raise Http404("No such release.")
    facts = reads.facts([release])[release.pk]
    project_ids = [p.pk for p, _n in facts.projects]
    # Only issues of projects the user sees (a team's projects are hidden from others).
    issues = access.for_member(Issue.objects.select_related("project"), request.user)
    new_issues = issues.filter(project_id__in=project_ids, first_release=version).order_by(
        "-times_seen", "-id"
    )[:ISSUES_SHOWN]
    resolved = issues.filter(
        project__organization=org, status=Issue.Status.RESOLVED, resolved_in_release=version
    ).order_by("-resolved_at", "-id")[:ISSUES_SHOWN]
    commits = (
        ReleaseCommit.objects.filter(release=release)
        .select_related("commit__repository")
        .order_by("order")[:COMMITS_SHOWN]
    )
    return render(request, "releases/release_detail.html", {
        "organization": org, "release": release, "facts": facts,
        "new_issues": list(new_issues), "resolved_issues": list(resolved),
        "deploys": list(release.deploys.order_by("-date_finished", "-id")[:50]),
        "commits": [link.commit for link in commits],
    })  # fmt: skip
