from django.urls import path

from . import views

app_name = "releases"

urlpatterns = [
    path(
        "orgs/<slug:org_slug>/projects/<slug:project_slug>/releases/",
        views.project_releases,
        name="project-releases",
    ),
    path("orgs/<slug:org_slug>/releases/<path:version>/", views.release_detail, name="release"),
]
