"""The releases endpoints of the REST API, at the paths sentry-cli 2.x (project endpoints)
and 3.x (organization endpoints) call. Versions come URL-decoded in the path, `/`
included. Access: organization members, through `projects.access` (viewers read, members create and
update and delete releases and deploys, as a CI pipeline's token does; owners and admins
configure repositories);
scopes as the rest of the API (`api.auth.HasScope`: read for GET, write for changes)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.common import CURSOR, ERRORS, LIMIT, page_response, simple_page
from projects import access

from . import changes, inputs, reads, shapes
from .models import Deploy, Release, ReleaseCommit, Repository

OBJECT = {200: OpenApiTypes.OBJECT, **ERRORS}
LIST = {200: {"type": "array", "items": {"type": "object", "additionalProperties": True}}, **ERRORS}
CREATED = {201: OpenApiTypes.OBJECT, 208: OpenApiTypes.OBJECT, **OBJECT}
QUERY = OpenApiParameter("query", str, description="Versions containing this text.")


def _valid(serializer_class, request):
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


def _release_or_404(organization, version: str, project=None) -> Release:
    if "\x00" in version:  # PostgreSQL text cannot hold it: no release has it
        raise Http404("No such release.")
    qs = Release.objects.filter(organization=organization, version=version)
    if project is not None:
        qs = qs.filter(releaseproject__project=project)
    release = qs.first()
    if release is None:
        raise Http404("No such release.")
    return release


def _one(release, project_ids=None) -> dict:
    return shapes.release(release, reads.facts([release], project_ids=project_ids)[release.pk])


def _list(request, qs, project_ids=None) -> Response:
    if text := request.GET.get("query", "").replace("\x00", ""):
        qs = qs.filter(version__contains=text[:200])
    page = simple_page(request, qs, descending=True)
    found = reads.facts(page.items, project_ids=project_ids)
    return page_response(request, page, [shapes.release(r, found[r.pk]) for r in page.items])


def _create(request, organization, default_projects: list) -> Response:
    """Create (201), or update an existing release (208: already there), as sentry-cli's
    `releases new`, `archive` and `restore` post it."""
    data = _valid(inputs.ReleaseCreate, request)
    projects = changes.projects_named(organization, data.get("projects") or [])
    projects += [p for p in default_projects if p not in projects]
    exists = Release.objects.filter(organization=organization, version=data["version"]).first()
    if exists is None and not projects:
        raise exceptions.ValidationError({"detail": "A new release needs at least one project."})
    release, created = changes.get_or_create(organization, data["version"])
    changes.update(release, data, projects)
    answer = status.HTTP_201_CREATED if created else status.HTTP_208_ALREADY_REPORTED
    return Response(_one(release), status=answer)


def _put(request, release, default_projects: list) -> Response:
    data = _valid(inputs.ReleaseUpdate, request)
    projects = changes.projects_named(release.organization, data.get("projects") or [])
    projects += [p for p in default_projects if p not in projects]
    changes.update(release, data, projects)
    return Response(_one(release))


@access.rule(GET="viewer", POST="member")
class OrganizationReleases(APIView):
    @extend_schema(parameters=[QUERY, CURSOR, LIMIT], responses=LIST)
    def get(self, request, org_slug):
        org = access.membership_or_404(request.user, org_slug).organization
        qs = Release.objects.filter(organization=org)
        if project_ids := [p for p in request.GET.getlist("project") if p.isdigit()]:
            qs = qs.filter(releaseproject__project_id__in=project_ids).distinct()
        return _list(request, qs)

    @extend_schema(request=OpenApiTypes.OBJECT, responses=CREATED)
    def post(self, request, org_slug):
        org = access.membership_or_404(request.user, org_slug, role="member").organization
        return _create(request, org, [])


@access.rule(GET="viewer", POST="member")
class ProjectReleases(APIView):
    @extend_schema(parameters=[QUERY, CURSOR, LIMIT], responses=LIST)
    def get(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug)
        qs = Release.objects.filter(releaseproject__project=project)
        return _list(request, qs, project_ids={project.pk})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=CREATED)
    def post(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug, role="member")
        return _create(request, project.organization, [project])


@access.rule(GET="viewer", PUT="member", DELETE="member")
class OrganizationReleaseDetail(APIView):
    @extend_schema(responses=OBJECT)
    def get(self, request, org_slug, version):
        org = access.membership_or_404(request.user, org_slug).organization
        return Response(_one(_release_or_404(org, version)))

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OBJECT)
    def put(self, request, org_slug, version):
        org = access.membership_or_404(request.user, org_slug, role="member").organization
        return _put(request, _release_or_404(org, version), [])

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, org_slug, version):
        org = access.membership_or_404(request.user, org_slug, role="member").organization
        _release_or_404(org, version).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@access.rule(GET="viewer", PUT="member", DELETE="member")
class ProjectReleaseDetail(APIView):
    @extend_schema(responses=OBJECT)
    def get(self, request, org_slug, project_slug, version):
        project = access.project_or_404(request.user, org_slug, project_slug)
        release = _release_or_404(project.organization, version, project)
        return Response(_one(release, project_ids={project.pk}))

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OBJECT)
    def put(self, request, org_slug, project_slug, version):
        project = access.project_or_404(request.user, org_slug, project_slug, role="member")
        release = _release_or_404(project.organization, version, project)
        return _put(request, release, [project])

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, org_slug, project_slug, version):
        project = access.project_or_404(request.user, org_slug, project_slug, role="member")
        _release_or_404(project.organization, version, project).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@access.rule(GET="viewer", POST="member")
class ReleaseDeploys(APIView):
    @extend_schema(parameters=[CURSOR, LIMIT], responses=LIST)
    def get(self, request, org_slug, version):
        org = access.membership_or_404(request.user, org_slug).organization
        release = _release_or_404(org, version)
        page = simple_page(request, Deploy.objects.filter(release=release), descending=True)
        return page_response(request, page, [shapes.deploy(d) for d in page.items])

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT, **ERRORS})
    def post(self, request, org_slug, version):
        org = access.membership_or_404(request.user, org_slug, role="member").organization
        release = _release_or_404(org, version)
        deploy = changes.add_deploy(release, _valid(inputs.DeployInput, request))
        return Response(shapes.deploy(deploy), status=status.HTTP_201_CREATED)


@access.rule("viewer")
class ReleaseCommits(APIView):
    @extend_schema(parameters=[CURSOR, LIMIT], responses=LIST)
    def get(self, request, org_slug, version):
        org = access.membership_or_404(request.user, org_slug).organization
        release = _release_or_404(org, version)
        links = ReleaseCommit.objects.filter(release=release).select_related("commit__repository")
        page = simple_page(request, links)
        return page_response(request, page, [shapes.commit(link.commit) for link in page.items])


@access.rule("viewer")
class PreviousWithCommits(APIView):
    """The newest earlier release (by creation) of the organization that has commits, so
    that `set-commits --local` sends only the commits since then; `{}` when there is none
    (exactly that: sentry-cli refuses a partial release object)."""

    @extend_schema(responses=OBJECT)
    def get(self, request, org_slug, version):
        org = access.membership_or_404(request.user, org_slug).organization
        release = _release_or_404(org, version)
        earlier = (
            Release.objects.filter(organization=org, pk__lt=release.pk)
            .filter(Q(releasecommit__isnull=False))
            .order_by("-pk")
            .first()
        )
        return Response(_one(earlier) if earlier else {})


@access.rule(GET="viewer", POST="admin")
class Repositories(APIView):
    """Configured repositories (with a provider). `set-commits --commit` and `--auto` need
    them; with none, sentry-cli falls back to the local git history."""

    @extend_schema(parameters=[CURSOR, LIMIT], responses=LIST)
    def get(self, request, org_slug):
        org = access.membership_or_404(request.user, org_slug).organization
        page = simple_page(
            request, Repository.objects.filter(organization=org).exclude(provider="")
        )
        return page_response(request, page, [shapes.repository(r) for r in page.items])

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT, **ERRORS})
    def post(self, request, org_slug):
        """Configure a repository (owners and admins): name, url, provider."""
        org = access.admin_membership_or_403(request.user, org_slug).organization
        data = _valid(inputs.RepositoryInput, request)
        repo, created = Repository.objects.update_or_create(
            organization=org, name=data["name"],
            defaults={"url": data.get("url", ""), "provider": data["provider"] or "integrations:github"},
        )  # fmt: skip
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(shapes.repository(repo), status=answer)
