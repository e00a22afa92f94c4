"""The ingest endpoints without Django's request, response and middleware.

Sessions, auth, CSRF, messages, WhiteNoise and the CSP header cost more per request than
the ingest work itself, and none of them applies to an SDK posting an event; building
Django's request and response objects was another fifth of the edge's time. This WSGI
wrapper sends the two ingest paths straight to the view's logic (with the CORS headers
browser SDKs need) and everything else to Django as usual.
"""

import logging
import re
from functools import cache
from http import HTTPStatus

from django.conf import settings
from django.http import QueryDict

from . import sentry

log = logging.getLogger(__name__)

# The same paths as events/ingest/urls.py: any DSN path prefix, trailing slash optional.
INGEST_PATH = re.compile(r"^(?:.*/)?api/(?P<project_id>[^/]+)/(?P<kind>store|envelope)/?$")


class EdgeRequest:
    """The part of Django's request that sentry.ingest reads, straight off environ."""

    __slots__ = ("META", "method")

    def __init__(self, environ: dict):
        self.META = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()

    @property
    def GET(self) -> QueryDict:  # noqa: N802 (Django's name)
        return QueryDict(self.META.get("QUERY_STRING", ""))

    def read(self, size: int) -> bytes:
        return self.META["wsgi.input"].read(size)


def _cors_headers(preflight: bool) -> tuple[tuple[str, str], ...]:
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
    return (("Content-Type", sentry.JSON), *headers)


@cache
def _status_line(code: int) -> str:
    return f"{code} {HTTPStatus(code).phrase}"


class IngestFastPath:
    def __init__(self, app):
        self.app = app
        self._headers = {False: _cors_headers(False), True: _cors_headers(True)}

    def __call__(self, environ, start_response):
        match = INGEST_PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        request = EdgeRequest(environ)
        try:
            answer = sentry.ingest(request, match["project_id"], match["kind"])
        except Exception:
            log.exception("ingest failed")
            answer = sentry.error_answer(500, "internal error")
        # A fresh list each time: the server may add to what it is given.
        headers = [*self._headers[request.method == "OPTIONS"], *answer.headers]
        start_response(_status_line(answer.status), headers)
        return [answer.content]
