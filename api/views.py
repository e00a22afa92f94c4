"""The Sentry-style REST API: who am I, organizations, projects and their DSN keys.
Thin views: who may see what comes from `projects.access`; issues and events are in
`issue_views.py`."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from events import lifecycle as events_lifecycle
from projects import access
from projects.forms import PLATFORMS, DataForm, OrganizationDataForm, ProjectForm

from . import serializers
from .auth import granted_scopes
from .common import CURSOR, ERRORS, LIMIT, page_response, simple_page
from .models import ApiToken


@access.rule(access.PUBLIC)
class Root(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: serializers.RootSerializer, 401: ERRORS[401]})
    def get(self, request):
        user = request.user if request.user.is_authenticated else None
        scopes = sorted(granted_scopes(request)) if isinstance(request.auth, ApiToken) else None
        root = {"version": "0", "user": user, "scopes": scopes}
        return Response(serializers.RootSerializer(root).data)


@access.rule(access.USER)
class OrganizationList(APIView):
    @extend_schema(
        parameters=[CURSOR, LIMIT],
        responses={200: serializers.OrganizationSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        page = simple_page(request, access.organizations_for(request.user))
        return page_response(
            request, page, serializers.OrganizationSerializer(page.items, many=True).data
        )


class OrganizationInput(drf.Serializer):
    retentionDays = drf.IntegerField(required=False)  # ours: days events are kept


@access.rule(GET="viewer", PUT="admin")
class OrganizationDetail(APIView):
    @extend_schema(responses={200: serializers.OrganizationSerializer, **ERRORS})
    def get(self, request, org_slug):
        org = access.membership_or_404(request.user, org_slug).organization
        return Response(serializers.OrganizationSerializer(org).data)

    @extend_schema(
        request=OrganizationInput, responses={200: serializers.OrganizationSerializer, **ERRORS}
    )
    def put(self, request, org_slug):
        """The organization's default retention (owners and admins)."""
        org = access.admin_membership_or_403(request.user, org_slug).organization
        body = OrganizationInput(data=request.data)
        body.is_valid(raise_exception=True)
        if "retentionDays" in body.validated_data:
            form = OrganizationDataForm(
                {"retention_days": body.validated_data["retentionDays"]}, instance=org
            )
            if not form.is_valid():
                raise exceptions.ValidationError(form.errors)
            org = form.save()
        return Response(serializers.OrganizationSerializer(org).data)


class ProjectInput(drf.Serializer):
    name = drf.CharField(required=False, max_length=200)
    slug = drf.SlugField(required=False, max_length=100)
    platform = drf.ChoiceField(choices=[p for p, _label in PLATFORMS], required=False)
    # Ours, not Sentry's: days events are kept and events stored per issue (null: default).
    retentionDays = drf.IntegerField(required=False, allow_null=True)
    eventsPerIssue = drf.IntegerField(required=False, allow_null=True)


class NewProjectInput(ProjectInput):
    name = drf.CharField(max_length=200)


@access.rule(GET="viewer", POST="admin")
class OrganizationProjects(APIView):
    @extend_schema(
        parameters=[CURSOR, LIMIT],
        responses={200: serializers.ProjectSerializer(many=True), **ERRORS},
    )
    def get(self, request, org_slug):
        org = access.membership_or_404(request.user, org_slug).organization
        visible = access.projects_for(request.user).filter(organization=org)
        page = simple_page(request, visible.select_related("organization"))
        prefetch_related_objects(page.items, "teams")
        return page_response(
            request, page, serializers.ProjectSerializer(page.items, many=True).data
        )

    @extend_schema(
        request=NewProjectInput, responses={201: serializers.ProjectSerializer, **ERRORS}
    )
    def post(self, request, org_slug):
        """A new project (owners and admins; Sentry creates them under a team, we have none)."""
        org = access.admin_membership_or_403(request.user, org_slug).organization
        body = NewProjectInput(data=request.data)
        body.is_valid(raise_exception=True)
        form = ProjectForm({"platform": "other", **body.validated_data}, organization=org)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        project = form.save()
        return Response(serializers.ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


@access.rule(GET="viewer", PUT="admin")
class ProjectDetail(APIView):
    @extend_schema(responses={200: serializers.ProjectSerializer, **ERRORS})
    def get(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug)
        return Response(serializers.ProjectSerializer(project).data)

    @extend_schema(request=ProjectInput, responses={200: serializers.ProjectSerializer, **ERRORS})
    def put(self, request, org_slug, project_slug):
        """Project settings (owners and admins): the dashboard's form and its checks."""
        project = access.project_or_404(request.user, org_slug, project_slug)
        access.admin_membership_or_403(request.user, org_slug)
        body = ProjectInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        lifecycle = {
            field: data.pop(name)
            for name, field in (("retentionDays", "retention_days"),
                                ("eventsPerIssue", "events_per_issue"))
            if name in data
        }  # fmt: skip
        current = {"name": project.name, "slug": project.slug, "platform": project.platform}
        form = ProjectForm({**current, **data}, instance=project, organization=project.organization)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        if lifecycle:
            now = {"retention_days": project.retention_days,
                   "events_per_issue": project.events_per_issue}  # fmt: skip
            data_form = DataForm({**now, **lifecycle}, instance=project)
            if not data_form.is_valid():
                raise exceptions.ValidationError(data_form.errors)
        project = form.save()
        if lifecycle:
            data_form.save()
        return Response(serializers.ProjectSerializer(project).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, org_slug, project_slug):
        """Delete a project (owners and admins): at once, its events in the background."""
        project = access.project_or_404(request.user, org_slug, project_slug)
        access.admin_membership_or_403(request.user, org_slug)
        events_lifecycle.forget_project(project)
        return Response(status=status.HTTP_204_NO_CONTENT)


MAX_PER_MINUTE = 10**9  # rate limits are stored per minute in a 32-bit column


class RateLimitInput(drf.Serializer):
    window = drf.IntegerField(min_value=1, max_value=86400)
    count = drf.IntegerField(min_value=1, max_value=10**9)

    def validate(self, data):
        if data["count"] * 60 / data["window"] > MAX_PER_MINUTE:
            raise drf.ValidationError(f"At most {MAX_PER_MINUTE} events per minute.")
        return data


class KeyInput(drf.Serializer):
    name = drf.CharField(required=False, allow_blank=True, max_length=100)
    isActive = drf.BooleanField(required=False)
    rateLimit = RateLimitInput(required=False, allow_null=True)


def key_changes(data: dict) -> dict:
    """KeyInput -> ProjectKey fields. A rate limit over any window becomes per minute."""
    fields = {}
    if "name" in data:
        fields["label"] = data["name"]
    if "isActive" in data:
        fields["is_active"] = data["isActive"]
    if "rateLimit" in data:
        limit = data["rateLimit"]
        fields["rate_limit_per_minute"] = (
            max(1, round(limit["count"] * 60 / limit["window"])) if limit else None
        )
    return fields


@access.rule(GET="viewer", POST="admin")
class ProjectKeys(APIView):
    required_scopes = {"POST": "admin"}

    @extend_schema(
        parameters=[CURSOR, LIMIT],
        responses={200: serializers.ProjectKeySerializer(many=True), **ERRORS},
    )
    def get(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug)
        page = simple_page(request, project.keys.all())
        return page_response(
            request, page, serializers.ProjectKeySerializer(page.items, many=True).data
        )

    @extend_schema(request=KeyInput, responses={201: serializers.ProjectKeySerializer, **ERRORS})
    def post(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug)
        access.admin_membership_or_403(request.user, org_slug)
        body = KeyInput(data=request.data)
        body.is_valid(raise_exception=True)
        key = project.keys.create(**key_changes(body.validated_data))
        return Response(serializers.ProjectKeySerializer(key).data, status=status.HTTP_201_CREATED)


@access.rule(GET="viewer", PUT="admin", DELETE="admin")
class ProjectKeyDetail(APIView):
    """One DSN key, by its public key as in Sentry; owners and admins, admin scope."""

    required_scopes = {"GET": "read", "PUT": "admin", "DELETE": "admin"}

    def _key(self, request, org_slug, project_slug, key_id, *, change: bool):
        project = access.project_or_404(request.user, org_slug, project_slug)
        if change:
            access.admin_membership_or_403(request.user, org_slug)
        key = project.keys.filter(public_key=key_id).first()
        if key is None:
            raise exceptions.NotFound("No such key.")
        return key

    @extend_schema(responses={200: serializers.ProjectKeySerializer, **ERRORS})
    def get(self, request, org_slug, project_slug, key_id):
        key = self._key(request, org_slug, project_slug, key_id, change=False)
        return Response(serializers.ProjectKeySerializer(key).data)

    @extend_schema(request=KeyInput, responses={200: serializers.ProjectKeySerializer, **ERRORS})
    def put(self, request, org_slug, project_slug, key_id):
        key = self._key(request, org_slug, project_slug, key_id, change=True)
        body = KeyInput(data=request.data)
        body.is_valid(raise_exception=True)
        for field, value in key_changes(body.validated_data).items():
            setattr(key, field, value)
        key.save()
        return Response(serializers.ProjectKeySerializer(key).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, org_slug, project_slug, key_id):
        self._key(request, org_slug, project_slug, key_id, change=True).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
