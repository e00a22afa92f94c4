from django.urls import re_path

from . import sentry

app_name = "ingest"

# The DSN may carry a path prefix (https://key@host/sub/path/42): SDKs post to
# /sub/path/api/42/envelope/, so any prefix is accepted. The trailing slash is optional.
urlpatterns = [
    re_path(r"^(?:.*/)?api/(?P<project_id>[^/]+)/store/?$", sentry.store, name="store"),
    re_path(r"^(?:.*/)?api/(?P<project_id>[^/]+)/envelope/?$", sentry.envelope, name="envelope"),
]
