"""The ingest endpoints' paths. SENTRY_PATH is also what the WSGI fast path (wsgi.py)
matches, so both ways in serve exactly the same URLs."""

import re

from django.urls import re_path

from . import airbrake, sentry

app_name = "ingest"

# The DSN may carry a path prefix (https://key@host/sub/path/42): SDKs post to
# /sub/path/api/42/envelope/, so any prefix is accepted. The trailing slash is optional.
SENTRY_PATH = re.compile(r"^(?:.*/)?api/(?P<project_id>[^/]+)/(?P<kind>store|envelope)/?$")

urlpatterns = [
    re_path(SENTRY_PATH.pattern, sentry.endpoint, name="sentry"),
    # Airbrake / Errbit notifiers (docs/protocols.md §9).
    re_path(
        r"^api/v3/projects/(?P<project_id>[^/]+)/(?:notices|create-notice)/?$",
        airbrake.notices_v3,
        name="airbrake-notices",
    ),
    re_path(r"^notifier_api/v2/notices(?:\.xml)?/?$", airbrake.notices_v2, name="airbrake-v2"),
    re_path(
        r"^locate/(?P<event_id>[0-9a-fA-F-]{32,36})/?$", airbrake.locate, name="airbrake-locate"
    ),
]
