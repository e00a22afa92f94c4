from django.urls import path, re_path

from . import http, views

app_name = "monitors"

urlpatterns = [
    # Sentry's plain HTTP check-in URL (monitors/http.py); any DSN path prefix, as ingest.
    re_path(
        r"^(?:.*/)?api/(?P<project_id>[^/]+)/cron/(?P<slug>[^/]+)/(?P<public_key>[^/]+)/?$",
        http.checkin,
        name="http-checkin",
    ),
    path("orgs/<slug:org_slug>/projects/<slug:project_slug>/monitors/", views.monitor_list,
         name="list"),
    path("orgs/<slug:org_slug>/projects/<slug:project_slug>/monitors/<slug:slug>/",
         views.monitor_detail, name="detail"),
    path("orgs/<slug:org_slug>/projects/<slug:project_slug>/monitors/<slug:slug>/edit/",
         views.monitor_edit, name="edit"),
    path("orgs/<slug:org_slug>/projects/<slug:project_slug>/monitors/<slug:slug>/mute/",
         views.monitor_mute, name="mute"),
]  # fmt: skip
