"""The feedback REST API route, under /api/0/ (aggregator/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("projects/<slug:org_slug>/<slug:project_slug>/user-feedback/", api.ProjectFeedback.as_view(),
         name="project-user-feedback"),
]  # fmt: skip
