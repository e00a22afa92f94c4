from django.urls import path, re_path

from . import views

app_name = "sourcemaps"

O = "organizations/<slug:org_slug>/"  # noqa: E741
P = "projects/<slug:org_slug>/<slug:project_slug>/"
FILES = "releases/<path:version>/files/"

urlpatterns = [
    path(O + "chunk-upload/", views.ChunkUpload.as_view(), name="chunk-upload"),
    path(O + "artifactbundle/assemble/", views.ArtifactBundleAssemble.as_view(), name="assemble"),
    path(
        O + "releases/<path:version>/assemble/",
        views.ReleaseAssemble.as_view(),
        name="release-assemble",
    ),  # fmt: skip
    path(O + FILES, views.ReleaseFiles.as_view(), name="org-release-files"),
    re_path(
        r"^organizations/(?P<org_slug>[-\w]+)/releases/(?P<version>.+)/files/(?P<file_id>[0-9]{1,18})/$",
        views.ReleaseFileDetail.as_view(),
        name="org-release-file",
    ),  # fmt: skip
    path(P + FILES, views.ReleaseFiles.as_view(), name="release-files"),
    re_path(
        r"^projects/(?P<org_slug>[-\w]+)/(?P<project_slug>[-\w]+)/releases/(?P<version>.+)/files/(?P<file_id>[0-9]{1,18})/$",
        views.ReleaseFileDetail.as_view(),
        name="release-file",
    ),  # fmt: skip
]
