from django.urls import re_path

from . import http

app_name = "monitors"

urlpatterns = [
    # Sentry's plain HTTP check-in URL (monitors/http.py); any DSN path prefix, as ingest.
    re_path(
        r"^(?:.*/)?api/(?P<project_id>[^/]+)/cron/(?P<slug>[^/]+)/(?P<public_key>[^/]+)/?$",
        http.checkin,
        name="http-checkin",
    ),
]  # fmt: skip
