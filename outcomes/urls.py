from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path(
        "orgs/<slug:org_slug>/projects/<slug:project_slug>/stats/",
        views.project_stats,
        name="project-stats",
    ),
]
