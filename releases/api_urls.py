"""Routes of the releases API, included by `api/urls.py` under /api/0/. A version is the
rest of the path (`path` converter), so it may hold `/` (sent as %2F); the sub-resources
come first so that `1.0/deploys/` is the deploys of 1.0."""

from django.urls import path

from . import api_views as v

ORG = "organizations/<slug:org_slug>/"
PROJECT = "projects/<slug:org_slug>/<slug:project_slug>/"

urlpatterns = [
    path(ORG + "releases/", v.OrganizationReleases.as_view(), name="organization-releases"),
    path(ORG + "repos/", v.Repositories.as_view(), name="organization-repos"),
    path(
        ORG + "releases/<path:version>/deploys/", v.ReleaseDeploys.as_view(), name="release-deploys"
    ),
    path(
        ORG + "releases/<path:version>/commits/", v.ReleaseCommits.as_view(), name="release-commits"
    ),
    path(
        ORG + "releases/<path:version>/previous-with-commits/",
        v.PreviousWithCommits.as_view(),
        name="release-previous-with-commits",
    ),
    path(
        ORG + "releases/<path:version>/",
        v.OrganizationReleaseDetail.as_view(),
        name="organization-release",
    ),
    path(PROJECT + "releases/", v.ProjectReleases.as_view(), name="project-releases"),
    path(
        PROJECT + "releases/<path:version>/",
        v.ProjectReleaseDetail.as_view(),
        name="project-release",
    ),
]
