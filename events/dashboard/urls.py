from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("issues/", views.all_issues, name="all-issues"),
    path("issues/bulk/", views.bulk_action, name="bulk"),
    path("issues/<int:issue_id>/", views.issue_detail, name="issue"),
    path("issues/<int:issue_id>/action/", views.issue_action, name="issue-action"),
    path("issues/<int:issue_id>/delete/", views.issue_delete, name="issue-delete"),
    path("issues/<int:issue_id>/events/", views.event_list, name="event-list"),
    path("issues/<int:issue_id>/events/<str:event_id>/", views.issue_detail, name="event"),
    path("issues/<int:issue_id>/events/<str:event_id>/json/", views.event_json, name="event-json"),
    path(
        "orgs/<slug:org_slug>/projects/<slug:project_slug>/",
        views.project_issues,
        name="project-issues",
    ),
    path(
        "orgs/<slug:org_slug>/projects/<slug:project_slug>/delete/",
        views.project_delete,
        name="project-delete",
    ),
]
