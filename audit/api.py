"""GET /api/0/organizations/<org>/audit-logs/: the organization's entries, newest first
(owners and admins; the `admin` scope for tokens). Filters: `action` (e.g. `member` or
`member.removed`), `actor` (a username), `since` (ISO date or time)."""

from datetime import UTC

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from api.common import CURSOR, ERRORS, LIMIT, bad_request, page_response, simple_page
from projects import access

from . import reads


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    dateCreated = serializers.DateTimeField(source="created")
    actor = serializers.CharField(source="actor_name")
    event = serializers.CharField(source="action")
    target = serializers.CharField()
    ipAddress = serializers.IPAddressField(source="ip", allow_null=True)
    data = serializers.DictField(source="detail")


def _since(text: str):
    if not text:
        return None
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise bad_request("since must be an ISO date or date-time.")
        from datetime import datetime, time

        moment = datetime.combine(day, time.min, tzinfo=UTC)
    return moment


@access.rule("admin")
class OrganizationAuditLog(APIView):
    required_scopes = {"GET": "admin"}

    @extend_schema(
        parameters=[
            CURSOR, LIMIT, OpenApiParameter("action", str), OpenApiParameter("actor", str),
            OpenApiParameter("since", str, description="ISO date or date-time"),
        ],
        responses={200: AuditEntrySerializer(many=True), **ERRORS},
    )  # fmt: skip
    def get(self, request, org_slug):
        org = access.admin_membership_or_403(request.user, org_slug).organization
        qs = reads.filtered(
            reads.for_organization(org),
            action=request.GET.get("action", "")[:50],
            actor=request.GET.get("actor", "")[:150],
            since=_since(request.GET.get("since", "")),
        )
        page = simple_page(request, qs, descending=True)
        return page_response(request, page, AuditEntrySerializer(page.items, many=True).data)
