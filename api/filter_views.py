"""A project's inbound filters and quotas over the API.

Sentry's shapes where Sentry has them: `GET .../filters/` lists the filters with `active`,
`PUT .../filters/{id}/` with `{"active": bool}` switches one (for `legacy-browsers` a
non-empty `subfilters` list also switches it on); the glob and IP lists are the project's
`options` (`filters:error_messages`, `filters:releases`, `filters:blacklisted_ips`,
newline-separated) read and written at `.../filters/options/`. `.../quotas/` is ours. The
checks are the settings page's forms."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import access
from projects.forms import FiltersForm, QuotasForm

from .common import ERRORS

# Sentry's filter id -> (project field, description)
FILTERS = {
    "localhost": ("filter_localhost", "Events coming from localhost"),
    "browser-extensions": ("filter_browser_extensions", "Errors caused by browser extensions"),
    "legacy-browsers": ("filter_legacy_browsers", "Events from older browsers"),
    "web-crawlers": ("filter_web_crawlers", "Events sent by web crawlers and bots"),
}
OPTIONS = {
    "filters:error_messages": "filter_messages",
    "filters:releases": "filter_releases",
    "filters:blacklisted_ips": "filter_ip_ranges",
}
QUOTAS = {
    "perMinute": "rate_limit_per_minute",
    "perHour": "rate_limit_per_hour",
    "perDay": "rate_limit_per_day",
    "perMonth": "rate_limit_per_month",
}


def _save(form_class, project, changes: dict):
    current = {name: getattr(project, name) for name in form_class.Meta.fields}
    data = {k: ("" if v is None else v) for k, v in {**current, **changes}.items()}
    # A checkbox is on when present: leave the ones that are off out of the form data.
    data = {k: v for k, v in data.items() if v is not False}
    form = form_class(data, instance=project)
    if not form.is_valid():
        raise exceptions.ValidationError(
            {"detail": "; ".join(f"{f}: {' '.join(e)}" for f, e in form.errors.items())}
        )
    return form.save()


def _filter_list(project) -> list[dict]:
    return [
        {"id": fid, "active": getattr(project, field), "description": text, "name": fid}
        for fid, (field, text) in FILTERS.items()
    ]


class FilterInput(drf.Serializer):
    active = drf.BooleanField(required=False)
    subfilters = drf.ListField(child=drf.CharField(max_length=64), required=False, max_length=20)


class FilterSerializer(drf.Serializer):
    id = drf.CharField()
    active = drf.BooleanField()
    description = drf.CharField()
    name = drf.CharField()


@access.rule("viewer")
class ProjectFilters(APIView):
    @extend_schema(responses={200: FilterSerializer(many=True), **ERRORS})
    def get(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug)
        return Response(_filter_list(project))


@access.rule(PUT="admin")
class ProjectFilterDetail(APIView):
    @extend_schema(request=FilterInput, responses={204: None, **ERRORS})
    def put(self, request, org_slug, project_slug, filter_id):
        project = access.project_or_404(request.user, org_slug, project_slug, admin=True)
        if filter_id not in FILTERS:
            raise exceptions.NotFound(f"no filter {filter_id!r}; filters: {', '.join(FILTERS)}")
        body = FilterInput(data=request.data)
        body.is_valid(raise_exception=True)
        if "active" in body.validated_data:
            active = body.validated_data["active"]
        elif "subfilters" in body.validated_data:
            active = bool(body.validated_data["subfilters"])
        else:
            raise exceptions.ValidationError({"detail": "give active (true or false)"})
        _save(FiltersForm, project, {FILTERS[filter_id][0]: active})
        return Response(status=204)


class OptionsInput(drf.Serializer):
    options = drf.DictField(child=drf.CharField(allow_blank=True, max_length=10_000))


@access.rule(GET="viewer", PUT="admin")
class ProjectFilterOptions(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug)
        return Response({"options": {k: getattr(project, f) for k, f in OPTIONS.items()}})

    @extend_schema(request=OptionsInput, responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def put(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug, admin=True)
        body = OptionsInput(data=request.data)
        body.is_valid(raise_exception=True)
        unknown = set(body.validated_data["options"]) - set(OPTIONS)
        if unknown:
            raise exceptions.ValidationError(
                {"detail": f"unknown options {sorted(unknown)}; known: {sorted(OPTIONS)}"}
            )
        changes = {OPTIONS[k]: v for k, v in body.validated_data["options"].items()}
        project = _save(FiltersForm, project, changes)
        return Response({"options": {k: getattr(project, f) for k, f in OPTIONS.items()}})


class QuotasInput(drf.Serializer):
    perMinute = drf.IntegerField(min_value=1, max_value=2**31 - 1, allow_null=True, required=False)
    perHour = drf.IntegerField(min_value=1, max_value=2**31 - 1, allow_null=True, required=False)
    perDay = drf.IntegerField(min_value=1, max_value=2**31 - 1, allow_null=True, required=False)
    perMonth = drf.IntegerField(min_value=1, max_value=2**31 - 1, allow_null=True, required=False)


@access.rule(GET="viewer", PUT="admin")
class ProjectQuotas(APIView):
    @extend_schema(responses={200: QuotasInput, **ERRORS})
    def get(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug)
        return Response({k: getattr(project, f) for k, f in QUOTAS.items()})

    @extend_schema(request=QuotasInput, responses={200: QuotasInput, **ERRORS})
    def put(self, request, org_slug, project_slug):
        """Events per minute, hour, day and month (30 days); null: no limit."""
        project = access.project_or_404(request.user, org_slug, project_slug, admin=True)
        body = QuotasInput(data=request.data)
        body.is_valid(raise_exception=True)
        project = _save(QuotasForm, project, {QUOTAS[k]: v for k, v in body.validated_data.items()})
        return Response({k: getattr(project, f) for k, f in QUOTAS.items()})
