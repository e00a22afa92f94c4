"""The ingest endpoints without Django's middleware stack.

Sessions, auth, CSRF, messages, WhiteNoise and the CSP header cost more per request than
the ingest work itself, and none of them applies to an SDK posting an event. This WSGI
wrapper sends the two ingest paths straight to the same view function (with the CORS
headers browser SDKs need) and everything else to Django as usual.
"""

import logging
import re

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections

from . import ingest_views

log = logging.getLogger(__name__)

# The same paths as events/ingest_urls.py: any DSN path prefix, trailing slash optional.
INGEST_PATH = re.compile(r"^(?:.*/)?api/(?P<project_id>[^/]+)/(?P<kind>store|envelope)/?$")


def _cors_headers(preflight: bool) -> list[tuple[str, str]]:
    headers = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Expose-Headers", ", ".join(settings.CORS_EXPOSE_HEADERS)),
    ]
    if preflight:
        headers += [
            ("Access-Control-Allow-Methods", "POST, OPTIONS"),
            ("Access-Control-Allow-Headers", ", ".join(settings.CORS_ALLOW_HEADERS)),
            ("Access-Control-Max-Age", "86400"),
        ]
    return headers


class IngestFastPath:
    def __init__(self, app):
        self.app = app
        self._cors = {False: _cors_headers(False), True: _cors_headers(True)}

    def __call__(self, environ, start_response):
        match = INGEST_PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        # What Django does at the start of a request: drop a connection that went bad
        # (the key lookup may need the database on a cache miss).
        close_old_connections()
        request = WSGIRequest(environ)
        try:
            response = ingest_views.ingest(request, match["project_id"], match["kind"])
        except Exception:
            log.exception("ingest failed")
            response = ingest_views.error_response(500, "internal error")
        preflight = request.method == "OPTIONS"
        headers = [*response.items(), *self._cors[preflight]]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [response.content]
