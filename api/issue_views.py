"""Issues and events of the REST API: lists (search, sort, cursor), bulk and single changes
(`updates.py` -> `events.issues.triage`), events and tag facets. Access from `projects.access`."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from events.issues import reads, triage
from events.models import Event, Issue
from projects import access

from . import issues, serializers, shapes, updates
from .common import CURSOR, ERRORS, LIMIT, bad_request, page_response, simple_page

ISSUES = Issue.objects.select_related("project", "assignee")
LIST_PARAMS = [
    OpenApiParameter("query", str, description="Search; default `is:unresolved`, empty: all."),
    OpenApiParameter("sort", str, enum=list(issues.SORTS)),
    CURSOR,
    LIMIT,
    OpenApiParameter("environment", str),
    OpenApiParameter("shortIdLookup", str, enum=["0", "1"], description="1: a short id query"),
]
BULK_PARAMS = [
    OpenApiParameter("id", int, many=True, description="Issue ids; none: every issue"),
    OpenApiParameter("status", str, enum=list(updates.STATUSES)),
]


def issue_list_response(request, qs: QuerySet, *, period_filters: bool) -> Response:
    get = request.GET
    if get.get("shortIdLookup") in ("1", "true"):
        short = shapes.parse_short_id(get.get("query") or "")
        if short:  # Sentry answers a short id query with just that issue
            qs = qs.filter(project__slug=short[0], short_number=short[1])
            get = get.copy()
            get["query"] = ""
    try:
        params = issues.parse_list_params(get, period_filters=period_filters)
    except issues.BadParameter as exc:
        raise bad_request(str(exc)) from None
    page = issues.list_issues(qs, params, user_id=request.user.pk)
    issues.decorate(page.items, params.stats_period)
    return page_response(request, page, serializers.IssueSerializer(page.items, many=True).data)


def bulk_targets(request, qs: QuerySet) -> list[int]:
    """Ids of the issues a bulk request means: ?id=…, ?status=…, or all (newest first)."""
    raw_ids = request.GET.getlist("id")
    if raw_ids:
        if not all(i.isdigit() and len(i) < 19 for i in raw_ids):
            raise bad_request("id must be an integer issue id.")
        qs = qs.filter(pk__in=[int(i) for i in raw_ids])
    if wanted := request.GET.get("status"):
        if wanted not in updates.STATUSES:
            raise bad_request(f"status must be one of {', '.join(updates.STATUSES)}.")
        qs = qs.filter(status=Issue.Status.IGNORED if wanted == "muted" else wanted)
    return list(qs.order_by("-last_seen", "-id").values_list("pk", flat=True)[: updates.BULK_LIMIT])


def bulk_update(request, qs: QuerySet, organization_ids: set[int]) -> Response:
    body = updates.IssueUpdateInput(data=request.data)
    body.is_valid(raise_exception=True)
    ids = bulk_targets(request, qs)
    if not ids:
        return Response(status=status.HTTP_204_NO_CONTENT)
    result = updates.apply(ids, body.validated_data, request.user, organization_ids)
    if "assignedTo" in result:  # only the keys that were changed, as Sentry answers
        assignee = result["assignedTo"]
        result["assignedTo"] = serializers.AssigneeSerializer(assignee).data if assignee else None
    return Response(result)


def bulk_delete(request, qs: QuerySet) -> Response:
    ids = bulk_targets(request, qs)
    triage.delete(ids)
    return Response(status=status.HTTP_204_NO_CONTENT)


@access.rule(GET="viewer", PUT="member", DELETE="member")
class ProjectIssues(APIView):
    @extend_schema(
        parameters=[
            *LIST_PARAMS,
            OpenApiParameter("statsPeriod", str, enum=list(issues.STATS_PERIODS)),
        ],
        responses={200: serializers.IssueSerializer(many=True), **ERRORS},
    )
    def get(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug)
        return issue_list_response(request, ISSUES.filter(project=project), period_filters=False)

    @extend_schema(
        parameters=BULK_PARAMS,
        request=updates.IssueUpdateInput,
        responses={200: serializers.IssueUpdateResultSerializer, 204: None, **ERRORS},
    )
    def put(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug, role="member")
        return bulk_update(
            request, Issue.objects.filter(project=project), {project.organization_id}
        )

    @extend_schema(parameters=BULK_PARAMS, responses={204: None, **ERRORS})
    def delete(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug, role="member")
        return bulk_delete(request, Issue.objects.filter(project=project))


@access.rule(GET="viewer", PUT="member", DELETE="member")
class OrganizationIssues(APIView):
    @extend_schema(
        parameters=[
            *LIST_PARAMS,
            OpenApiParameter("project", int, many=True, description="Project ids; -1: all"),
            OpenApiParameter("statsPeriod", str, enum=["", *issues.PERIOD_HOURS]),
            OpenApiParameter("groupStatsPeriod", str, enum=[*issues.STATS_PERIODS, "auto"]),
        ],
        responses={200: serializers.IssueSerializer(many=True), **ERRORS},
    )
    def get(self, request, org_slug):
        return issue_list_response(request, self._issues(request, org_slug), period_filters=True)

    @extend_schema(
        parameters=BULK_PARAMS,
        request=updates.IssueUpdateInput,
        responses={200: serializers.IssueUpdateResultSerializer, 204: None, **ERRORS},
    )
    def put(self, request, org_slug):
        qs = self._issues(request, org_slug, role="member")
        return bulk_update(
            request, qs, {access.membership_or_404(request.user, org_slug).organization_id}
        )

    @extend_schema(parameters=BULK_PARAMS, responses={204: None, **ERRORS})
    def delete(self, request, org_slug):
        return bulk_delete(request, self._issues(request, org_slug, role="member"))

    def _issues(self, request, org_slug, role: str | None = None) -> QuerySet:
        org = access.membership_or_404(request.user, org_slug, role=role).organization
        qs = access.for_member(ISSUES.filter(project__organization=org), request.user)
        wanted = request.GET.getlist("project")
        if wanted and "-1" not in wanted:
            if not all(p.isdigit() and len(p) < 19 for p in wanted):
                raise bad_request("project must be a project id.")
            qs = qs.filter(project_id__in=[int(p) for p in wanted])
        return qs


def issue_or_404(request, issue_id: int, org_slug: str | None = None, role=None) -> Issue:
    qs = ISSUES.select_related("project__organization")
    if org_slug is not None:
        qs = qs.filter(project__organization__slug=org_slug)
    return access.get_for_member_or_404(qs, request.user, pk=issue_id, role=role)


@access.rule(GET="viewer", PUT="member", DELETE="member")
class IssueDetail(APIView):
    @extend_schema(responses={200: serializers.IssueDetailSerializer, **ERRORS})
    def get(self, request, issue_id, org_slug=None):
        issue = issue_or_404(request, issue_id, org_slug)
        return Response(detail_data(issue))

    @extend_schema(
        request=updates.IssueUpdateInput,
        responses={200: serializers.IssueDetailSerializer, **ERRORS},
    )
    def put(self, request, issue_id, org_slug=None):
        issue = issue_or_404(request, issue_id, org_slug, role="member")
        body = updates.IssueUpdateInput(data=request.data)
        body.is_valid(raise_exception=True)
        updates.apply(
            [issue.pk], body.validated_data, request.user, {issue.project.organization_id}
        )
        return Response(detail_data(issue_or_404(request, issue_id, org_slug)))

    @extend_schema(responses={202: None, **ERRORS})
    def delete(self, request, issue_id, org_slug=None):
        issue = issue_or_404(request, issue_id, org_slug, role="member")
        triage.delete([issue.pk])
        return Response(status=status.HTTP_202_ACCEPTED)


def detail_data(issue: Issue) -> dict:
    issues.decorate([issue], "24h")
    issue.recent_activity = list(
        issue.activities.select_related("user").order_by("-created", "-id")[:100]
    )
    return serializers.IssueDetailSerializer(issue).data


@access.rule("viewer")
class IssueEvents(APIView):
    @extend_schema(
        parameters=[CURSOR, LIMIT],
        responses={200: serializers.EventSerializer(many=True), **ERRORS},
    )
    def get(self, request, issue_id, org_slug=None):
        issue = issue_or_404(request, issue_id, org_slug)
        qs = Event.objects.filter(project_id=issue.project_id, issue=issue).defer("data")
        page = simple_page(request, qs, key="timestamp", descending=True)
        for event in page.items:
            event.issue = issue
        return page_response(request, page, serializers.EventSerializer(page.items, many=True).data)


@access.rule("viewer")
class IssueEventPick(APIView):
    """The latest, oldest or recommended (for us: latest) event of an issue."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "which", str, OpenApiParameter.PATH, enum=["latest", "oldest", "recommended"]
            )
        ],
        responses={200: serializers.EventDetailSerializer, **ERRORS},
    )
    def get(self, request, issue_id, which, org_slug=None):
        issue = issue_or_404(request, issue_id, org_slug)
        events = Event.objects.filter(project_id=issue.project_id, issue=issue)
        order = ("timestamp", "id") if which == "oldest" else ("-timestamp", "-id")
        event = events.order_by(*order).first()
        if event is None:
            raise exceptions.NotFound("This issue has no events.")
        return Response(event_detail_data(issue, event))


def event_detail_data(issue: Issue, event: Event) -> dict:
    event.issue = issue
    event.nav = reads.event_neighbours(issue, event)
    return serializers.EventDetailSerializer(event).data


@access.rule("viewer")
class ProjectEventDetail(APIView):
    @extend_schema(responses={200: serializers.EventDetailSerializer, **ERRORS})
    def get(self, request, org_slug, project_slug, event_id):
        project = access.project_or_404(request.user, org_slug, project_slug)
        event_id = event_id.replace("-", "").lower()
        event = (
            Event.objects.filter(project=project, event_id=event_id)
            .select_related("issue__project", "issue__assignee")
            .first()
        )
        if event is None:
            raise exceptions.NotFound("No such event.")
        return Response(event_detail_data(event.issue, event))


@access.rule("viewer")
class IssueTags(APIView):
    @extend_schema(responses={200: serializers.TagFacetSerializer(many=True), **ERRORS})
    def get(self, request, issue_id, org_slug=None):
        issue = issue_or_404(request, issue_id, org_slug)
        facets = [
            {
                "key": f["key"],
                "name": f["key"],
                "totalValues": f["total"],
                "uniqueValues": f["distinct"],
                "topValues": [
                    {"key": f["key"], "name": v["value"], "value": v["value"], "count": v["count"]}
                    for v in f["values"]
                ],
            }
            for f in reads.tag_facets(issue)
        ]
        return Response(serializers.TagFacetSerializer(facets, many=True).data)
