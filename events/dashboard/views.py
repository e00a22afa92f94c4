"""The dashboard: projects overview, issue lists, the issue page and triage actions.

Thin views: access first (`projects.access`), then reads (`reads.py`), state changes
(`triage.py`) and event presentation (`presenters.py`).
"""

from __future__ import annotations

import orjson
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from events import lifecycle
from events.issues import presenters, reads, triage
from events.models import Event, Issue
from projects import access
from projects.models import Membership

from . import panels
from .forms import IssueFilterForm, TriageForm

DETAIL_ISSUES = Issue.objects.select_related("project__organization", "assignee")


@access.rule(access.USER)
@login_required
@require_GET
def overview(request):
    projects = list(
        access.projects_for(request.user)
        .select_related("organization")
        .order_by("organization__name", "name")
    )
    reads.project_summaries(projects, now=timezone.now())
    organizations = list(access.organizations_for(request.user).order_by("name"))
    admin_orgs = access.admin_org_ids(request.user)
    return render(request, "events/overview.html", {
        "projects": projects, "organizations": organizations, "admin_orgs": admin_orgs,
    })  # fmt: skip


def _issue_list(request, issues, *, project=None):
    form = IssueFilterForm(request.GET)
    form.is_valid()  # invalid fields are dropped: a bad filter shows everything, never an error
    data = form.cleaned_data
    query = form.issue_query()
    page = reads.list_issues(
        issues, query, sort=data.get("sort") or "last_seen", since=data.get("since") or "",
        cursor=data.get("cursor") or "", user_id=request.user.pk,
    )  # fmt: skip
    reads.decorate_issues(page.items, now=timezone.now())
    params = request.GET.copy()
    params.pop("cursor", None)
    status = query.status or Issue.Status.UNRESOLVED
    shown = request.GET.copy()
    shown["status"] = status  # the select shows the status in force, default included
    if project is not None:
        can_triage = access.allows(project.membership, "events:issue-action", "POST")
    else:  # bulk_action's own narrowing: issues where the user is a member or more
        can_triage = access.projects_for(request.user, role="member").exists()
    return render(request, "events/issue_list.html", {
        "project": project, "form": IssueFilterForm(shown), "page": page, "query": query,
        "status": status, "params": params.urlencode(), "can_triage": can_triage,
        "project_links": panels.links_for_project(project) if project else [],
    })  # fmt: skip


@access.rule("viewer")
@login_required
@require_GET
def project_issues(request, org_slug, project_slug):
    project = access.project_or_404(request.user, org_slug, project_slug)
    return _issue_list(request, Issue.objects.filter(project=project), project=project)


@access.rule(access.USER)
@login_required
@require_GET
def all_issues(request):
    return _issue_list(request, Issue.objects.filter(project__in=access.projects_for(request.user)))


@access.rule("viewer")
@login_required
@require_GET
def issue_detail(request, issue_id, event_id=None):
    issue = access.get_for_member_or_404(DETAIL_ISSUES, request.user, pk=issue_id)
    events = Event.objects.filter(project_id=issue.project_id, issue=issue)
    if event_id:
        event = events.filter(event_id=event_id).first()
        if event is None:
            raise Http404("No such event.")
    else:
        event = events.order_by("-timestamp", "-id").first()
    newest_first = request.GET.get("order") == "newest"
    app_only = request.GET.get("frames") == "app"
    span = "30d" if request.GET.get("span") == "30d" else "24h"
    now = timezone.now()
    members = list(Membership.objects.filter(organization_id=issue.project.organization_id)
                   .select_related("user").order_by("user__username"))  # fmt: skip
    return render(request, "events/issue_detail.html", {
        "issue": issue, "project": issue.project, "event": event,
        "shown": presenters.present_event(event.data, newest_first=newest_first, app_only=app_only) if event else None,
        "nav": reads.event_neighbours(issue, event) if event else {},
        "newest_first": newest_first, "app_only": app_only, "span": span,
        "chart": reads.event_chart(issue, span=span, now=now),
        "facets": reads.tag_facets(issue),
        "activities": list(issue.activities.select_related("user").order_by("-created", "-id")[:50]),
        "panels": panels.for_issue(request, issue),  # what other apps add (panels.py)
        "members": members,  # the assignee choice; the user's own decides the controls:
        "membership": next((m for m in members if m.user_id == request.user.pk), None),
        "ignore_minutes": [(60, "1 hour"), (24 * 60, "24 hours"), (7 * 24 * 60, "7 days")],
        "ignore_counts": [10, 100, 1000],
    })  # fmt: skip


@access.rule("viewer")
@login_required
@require_GET
def event_list(request, issue_id):
    issue = access.get_for_member_or_404(DETAIL_ISSUES, request.user, pk=issue_id)
    page = reads.list_events(issue, request.GET.get("cursor") or "")
    return render(
        request, "events/event_list.html", {"issue": issue, "project": issue.project, "page": page}
    )


@access.rule("viewer")
@login_required
@require_GET
def event_json(request, issue_id, event_id):
    issue = access.get_for_member_or_404(Issue.objects.all(), request.user, pk=issue_id)
    event = Event.objects.filter(
        project_id=issue.project_id, issue=issue, event_id=event_id
    ).first()
    if event is None:
        raise Http404("No such event.")
    response = HttpResponse(
        orjson.dumps(event.data, option=orjson.OPT_INDENT_2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="event-{event.event_id}.json"'
    return response


def _apply(request, issue_ids: list[int], organization_ids: set[int]) -> int:
    """Run the posted triage action on issues the caller already checked; returns the count."""
    form = TriageForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That action was not understood.")
        return 0
    action, data = form.cleaned_data["action"], form.cleaned_data
    if action == "resolve":
        return triage.resolve(issue_ids, request.user)
    if action == "resolve_in":
        if not data["release"]:
            messages.error(request, "Name the release to resolve in.")
            return 0
        return triage.resolve(issue_ids, request.user, in_release=data["release"])
    if action == "resolve_next":
        return triage.resolve(issue_ids, request.user, in_next_release=True)
    if action == "unresolve":
        return triage.unresolve(issue_ids, request.user)
    if action == "ignore":
        return triage.ignore(issue_ids, request.user, minutes=data["minutes"], count=data["count"])
    assignee = None
    if data["assignee"]:
        if data["assignee"] == -1:
            data["assignee"] = request.user.pk
        assignee = (
            get_user_model()
            .objects.filter(pk=data["assignee"], memberships__organization_id__in=organization_ids)
            .first()
        )
        if assignee is None or len(organization_ids) != 1:
            messages.error(
                request, "Issues can only be assigned to a member of their organization."
            )
            return 0
    return triage.assign(issue_ids, request.user, assignee)


def _back(request, default: str):
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


@access.rule("member")
@login_required
@require_POST
def issue_action(request, issue_id):
    issue = access.get_for_member_or_404(
        Issue.objects.select_related("project"), request.user, pk=issue_id, role="member"
    )
    if _apply(request, [issue.pk], {issue.project.organization_id}):
        messages.success(request, "Issue updated.")
    return _back(request, reverse("events:issue", args=[issue.pk]))


@access.rule(access.USER)  # the issues come in the body: narrowed to where the user is a member+
@login_required
@require_POST
def bulk_action(request):
    ids = [int(i) for i in request.POST.getlist("issue") if i.isdigit()][:500]
    chosen = Issue.objects.filter(pk__in=ids)
    rows = list(access.for_member(chosen, request.user, role="member")
                .values_list("pk", "project__organization_id"))  # fmt: skip
    if not rows and access.for_member(chosen, request.user).exists():
        raise PermissionDenied("Viewers may only read.")
    if not rows:
        messages.error(request, "Select at least one issue.")
    else:
        changed = _apply(request, [pk for pk, _ in rows], {org for _, org in rows})
        messages.success(request, f"{changed} issue{'s' if changed != 1 else ''} updated.")
    return _back(request, reverse("events:all-issues"))


@access.rule("member")  # as the API's issue delete: part of triage
@login_required
@require_POST
def issue_delete(request, issue_id):
    """Delete an issue: gone at once with its counts, its events in the background."""
    issue = access.get_for_member_or_404(
        Issue.objects.select_related("project__organization"),
        request.user,
        pk=issue_id,
        role="member",
    )
    project = issue.project
    triage.delete([issue.pk])
    messages.success(request, "Issue deleted; its events are being removed.")
    return redirect("events:project-issues", project.organization.slug, project.slug)


@access.rule("admin")
@login_required
@require_POST
def project_delete(request, org_slug, project_slug):
    """Delete a project (a button of its settings page, in `projects`): gone at once, its
    events deleted in the background (events/lifecycle.py)."""
    project = access.project_or_404(request.user, org_slug, project_slug, admin=True)
    name = project.name
    lifecycle.forget_project(project)
    messages.success(request, f"Project {name} deleted; its events are being removed.")
    return redirect("projects:organization", org_slug)
