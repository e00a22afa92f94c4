from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("events.ingest.urls")),  # Sentry SDKs, Airbrake notifiers
    path("api/0/", include("sourcemaps.urls")),  # before api: its paths end in files/, assemble/
    path("", include("monitors.urls")),  # cron monitors: HTTP check-ins, dashboard pages
    path("", include("feedback.urls")),  # the crash-report dialog, feedback pages
    path("api/0/", include("monitors.api_urls")),  # cron monitors in the REST API
    path("api/0/", include("feedback.api_urls")),  # user feedback in the REST API
    path("", include("ops.urls")),  # health, readiness, /metrics, the status page
    path("api/0/", include("api.urls")),  # the Sentry-style REST API
    path("settings/tokens/", include("api.token_urls")),  # personal API tokens
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),  # before Django's: the throttled reset
    path("accounts/", include("django.contrib.auth.urls")),
    path("notifications/", include("digests.urls")),
    path("", include("alerts.urls")),
    path("", include("releases.urls")),  # release pages
    path("", include("outcomes.urls")),  # project stats: what became of the events
    path("", include("audit.urls")),
    path("", include("projects.urls")),  # before events: /orgs/<org>/projects/new/
    path("", include("events.dashboard.urls")),
]
