from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("events.ingest.urls")),  # Sentry SDKs, Airbrake notifiers
    path("", include("ops.urls")),  # health, readiness, /metrics, the status page
    path("api/0/", include("api.urls")),  # the Sentry-style REST API
    path("settings/tokens/", include("api.token_urls")),  # personal API tokens
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("notifications/", include("digests.urls")),
    path("", include("alerts.urls")),
    path("", include("projects.urls")),  # before events: /orgs/<org>/projects/new/
    path("", include("events.dashboard.urls")),
]
