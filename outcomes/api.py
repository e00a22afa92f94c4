"""GET /api/0/organizations/{org}/stats_v2/: the subset of Sentry's endpoint that dashboards
built for it read (field, groupBy, interval, statsPeriod or start/end, and the project,
category, outcome and reason filters)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from api.common import ERRORS
from projects import access

from . import stats

_PARAMETERS = [
    OpenApiParameter("field", str, required=True, enum=list(stats.FIELDS)),
    OpenApiParameter("groupBy", str, many=True, enum=list(stats.GROUP_BY)),
    OpenApiParameter("statsPeriod", str, description="e.g. 24h, 14d, 90d (default 24h)"),
    OpenApiParameter("interval", str, description="1h to 1d, dividing a day (default 1h)"),
    OpenApiParameter("start", str), OpenApiParameter("end", str),
    OpenApiParameter("project", int, many=True, description="ids; -1 or none: all"),
    OpenApiParameter("category", str, many=True), OpenApiParameter("outcome", str, many=True),
    OpenApiParameter("reason", str, many=True),
]  # fmt: skip


@access.rule("viewer")
class OrganizationStats(APIView):
    @extend_schema(parameters=_PARAMETERS, responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, org_slug):
        org = access.membership_or_404(request.user, org_slug).organization
        params = request.query_params
        field_name = params.get("field", "")
        if field_name not in stats.FIELDS:
            raise exceptions.ValidationError({"detail": f"field must be one of {stats.FIELDS}"})
        group_by = tuple(dict.fromkeys(params.getlist("groupBy")))
        if any(g not in stats.GROUP_BY for g in group_by):
            raise exceptions.ValidationError({"detail": f"groupBy must be among {stats.GROUP_BY}"})
        # The projects the caller sees (a team's projects are hidden from others).
        visible = access.projects_for(request.user).filter(organization=org)
        projects = set(visible.values_list("id", flat=True))
        wanted = params.getlist("project")
        if wanted and "-1" not in wanted:
            try:
                asked = {int(p) for p in wanted}
            except ValueError:
                raise exceptions.ValidationError({"detail": "project must be ids"}) from None
            projects &= asked  # another organization's project ids simply match nothing
        try:
            query = stats.Query.build(
                period=params.get("statsPeriod"), start=params.get("start"),
                end=params.get("end"), interval=params.get("interval") or "1h",
                group_by=group_by, outcomes=tuple(params.getlist("outcome")),
                categories=tuple(params.getlist("category")),
                reasons=tuple(params.getlist("reason")),
            )  # fmt: skip
        except stats.StatsError as exc:
            raise exceptions.ValidationError({"detail": str(exc)}) from None
        return Response(stats.run(query, projects, field_name))
