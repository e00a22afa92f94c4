"""The monitors' REST API routes, under /api/0/ (aggregator/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("organizations/<slug:org_slug>/monitors/", api.OrganizationMonitors.as_view(),
         name="organization-monitors"),
    path("organizations/<slug:org_slug>/monitors/<slug:monitor_slug>/", api.MonitorDetail.as_view(),
         name="organization-monitor"),
    path("organizations/<slug:org_slug>/monitors/<slug:monitor_slug>/checkins/",
         api.MonitorCheckIns.as_view(), name="organization-monitor-checkins"),
]  # fmt: skip
