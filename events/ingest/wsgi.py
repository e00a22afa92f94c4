"""The Sentry endpoints without Django's request, response and middleware.

Sessions, auth, CSRF, messages, WhiteNoise and the CSP header cost more per request than
the ingest work itself, and none of them applies to an SDK posting an event; building
Django's request and response objects was another fifth of the edge's time. This WSGI
wrapper sends the store and envelope paths straight to `sentry.ingest` (with the CORS
headers browser SDKs need) and everything else to Django as usual.
"""

import logging
from functools import cache
from http import HTTPStatus

from django.http import QueryDict

from . import cors, sentry
from .urls import SENTRY_PATH

log = logging.getLogger(__name__)
_CONTENT_TYPE = ("Content-Type", sentry.JSON)


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


@cache
def _status_line(code: int) -> str:
    return f"{code} {HTTPStatus(code).phrase}"


class IngestFastPath:
    def __init__(self, app):
        self.app = app
        self._headers = {p: (_CONTENT_TYPE, *cors.headers(p)) for p in (False, True)}

    def __call__(self, environ, start_response):
        match = SENTRY_PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        request = EdgeRequest(environ)
        try:
            answer = sentry.ingest(request, match["project_id"], match["kind"])
        except Exception:
            log.exception("ingest failed")
            answer = sentry.error_answer(500, "internal error")
        # A fresh list each time: the server may add to what it is given.
        headers = [_CONTENT_TYPE, *cors.headers(request.method == "OPTIONS"), *answer.headers]
        start_response(_status_line(answer.status), headers)
        return [answer.content]
