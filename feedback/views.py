"""Feedback on the dashboard: the issue page's panel and the project's feedback list. Both
show the reporter's email, so both are for members and up (projects.access): viewers see
neither."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from events.dashboard.panels import Panel
from projects import access

from .models import Feedback

ISSUE_FEEDBACK = 20
PAGE = 50


def issue_panel(request, issue) -> Panel | None:
    """The issue page's "User feedback" panel (events/dashboard/panels.py); one query, which
    finds nothing for viewers (members and up only)."""
    mine = access.for_member(Feedback.objects.filter(issue=issue), request.user, role="member")
    rows = list(mine.order_by("-received", "-id")[:ISSUE_FEEDBACK])
    if not rows:
        return None
    context = {
        "feedback": rows,
        "organization_slug": issue.project.organization.slug,
        "project_slug": issue.project.slug,
    }
    return Panel("User feedback", "feedback/_issue_feedback.html", context)


@access.rule("member")
@login_required
@require_GET
def project_feedback(request, org_slug, project_slug):
    project = access.project_or_404(request.user, org_slug, project_slug, role="member")
    rows = Feedback.objects.filter(project=project).select_related("issue")
    page = Paginator(rows.order_by("-received", "-id"), PAGE).get_page(request.GET.get("page"))
    return render(request, "feedback/project_feedback.html", {"project": project, "page": page})
