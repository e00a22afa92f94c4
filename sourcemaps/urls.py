from django.urls import path

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
    path(O + FILES + "<int:file_id>/", views.ReleaseFileDetail.as_view(), name="org-release-file"),
    path(P + FILES, views.ReleaseFiles.as_view(), name="release-files"),
    path(P + FILES + "<int:file_id>/", views.ReleaseFileDetail.as_view(), name="release-file"),
]
