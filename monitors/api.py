"""Monitors in the REST API: the organization's monitors (what `sentry-cli monitors list`
reads: id, slug, name and status), one monitor (GET, PUT to mute), and its check-ins. Access
and pages as in the rest of the API (`projects.access`, `api.common`): monitors of the
projects the caller sees; viewers read, members also mute."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.common import CURSOR, ERRORS, LIMIT, bad_request, page_response, simple_page
from api.serializers import FREE_OBJECT, ProjectRefSerializer
from projects import access

from . import schedule
from .models import CheckIn, Monitor

PROJECT = OpenApiParameter("project", str, description="Project id or slug, when slugs clash.")


class MonitorSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    slug = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField(default="active", read_only=True)
    isMuted = serializers.BooleanField(source="muted")
    health = serializers.SerializerMethodField()
    project = ProjectRefSerializer()  # the API's own: two "ProjectRef" components clash
    config = serializers.SerializerMethodField()
    schedule = serializers.SerializerMethodField()
    lastCheckIn = serializers.DateTimeField(source="last_checkin", allow_null=True)
    nextCheckIn = serializers.DateTimeField(source="next_expected", allow_null=True)
    issueId = serializers.SerializerMethodField()
    dateCreated = serializers.DateTimeField(source="created")

    def get_health(self, monitor) -> str:
        """ok, error, missed, timeout, in_progress; "" before the first check-in."""
        return monitor.last_status

    def get_schedule(self, monitor) -> str:
        return schedule.describe(
            monitor.schedule_type, monitor.crontab, monitor.interval_value,
            monitor.interval_unit, monitor.timezone,
        )  # fmt: skip

    def get_issueId(self, monitor) -> str | None:  # noqa: N802 (the API's name)
        return str(monitor.issue_id) if monitor.issue_id else None

    @extend_schema_field(FREE_OBJECT)
    def get_config(self, monitor) -> dict:
        if monitor.schedule_type == "crontab":
            value = monitor.crontab
        else:
            value = monitor.interval_value
        return {
            "schedule_type": monitor.schedule_type or None,
            "schedule": value if monitor.schedule_type else None,
            "schedule_unit": monitor.interval_unit or None,
            "checkin_margin": monitor.checkin_margin,
            "max_runtime": monitor.max_runtime,
            "timezone": monitor.timezone,
            "failure_issue_threshold": monitor.failure_threshold,
            "recovery_threshold": monitor.recovery_threshold,
        }


class CheckInSerializer(serializers.Serializer):
    id = serializers.CharField(source="check_in_id")
    status = serializers.CharField()
    environment = serializers.CharField()
    duration = serializers.SerializerMethodField()
    dateCreated = serializers.DateTimeField(source="received")
    dateUpdated = serializers.DateTimeField(source="updated")
    expectedTime = serializers.DateTimeField(source="expected", allow_null=True)

    def get_duration(self, checkin) -> int | None:
        """Milliseconds, as Sentry's API."""
        return None if checkin.duration is None else round(checkin.duration * 1000)


class MonitorInput(serializers.Serializer):
    isMuted = serializers.BooleanField()


MONITORS = Monitor.objects.select_related("project")


def monitor_or_404(request, org_slug: str, monitor_slug: str, role: str | None = None) -> Monitor:
    """The monitor (404 unless the user sees its project); 403 below `role`."""
    membership = access.membership_or_404(request.user, org_slug)
    org = membership.organization
    qs = access.for_member(MONITORS, request.user).filter(
        project__organization=org, slug=monitor_slug
    )
    if wanted := request.GET.get("project"):
        key = "project_id" if wanted.isdigit() and len(wanted) < 19 else "project__slug"
        qs = qs.filter(**{key: wanted})
    found = list(qs[:2])
    if len(found) > 1:
        raise bad_request("Several projects have a monitor of this slug: add ?project=.")
    if not found:
        raise Http404("No such monitor.")
    if role is not None:
        access.require(membership, role)
    return found[0]


@access.rule("viewer")
class OrganizationMonitors(APIView):
    @extend_schema(
        parameters=[CURSOR, LIMIT], responses={200: MonitorSerializer(many=True), **ERRORS}
    )
    def get(self, request, org_slug):
        org = access.membership_or_404(request.user, org_slug).organization
        monitors = access.for_member(MONITORS, request.user).filter(project__organization=org)
        page = simple_page(request, monitors)
        return page_response(request, page, MonitorSerializer(page.items, many=True).data)


@access.rule(GET="viewer", PUT="member")
class MonitorDetail(APIView):
    @extend_schema(parameters=[PROJECT], responses={200: MonitorSerializer, **ERRORS})
    def get(self, request, org_slug, monitor_slug):
        return Response(MonitorSerializer(monitor_or_404(request, org_slug, monitor_slug)).data)

    @extend_schema(
        parameters=[PROJECT], request=MonitorInput, responses={200: MonitorSerializer, **ERRORS}
    )
    def put(self, request, org_slug, monitor_slug):
        """Mute or unmute: a muted monitor records check-ins and raises no issues."""
        monitor = monitor_or_404(request, org_slug, monitor_slug, role="member")
        body = MonitorInput(data=request.data)
        body.is_valid(raise_exception=True)
        Monitor.objects.filter(pk=monitor.pk).update(muted=body.validated_data["isMuted"])
        monitor.refresh_from_db()
        return Response(MonitorSerializer(monitor).data)


@access.rule("viewer")
class MonitorCheckIns(APIView):
    @extend_schema(
        parameters=[PROJECT, CURSOR, LIMIT],
        responses={200: CheckInSerializer(many=True), **ERRORS},
    )
    def get(self, request, org_slug, monitor_slug):
        monitor = monitor_or_404(request, org_slug, monitor_slug)
        qs = CheckIn.objects.filter(monitor=monitor)
        page = simple_page(request, qs, key="received", descending=True)
        return page_response(request, page, CheckInSerializer(page.items, many=True).data)
