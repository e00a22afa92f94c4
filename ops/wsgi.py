"""/-/health/, /-/ready/ and /metrics without Django's middleware.

A load balancer or Prometheus asks by IP address, with a Host header ALLOWED_HOSTS would
refuse, and needs no session, CSRF or CSP. The URLconf serves the same answers (ops/urls.py)
for the test client and runserver; this wrapper sits behind the ingest fast path, so SDK
requests never reach it.
"""

from __future__ import annotations

import hmac

import orjson
from django.conf import settings

from . import checks, collect

_JSON = ("Content-Type", "application/json")
_TEXT = ("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
_NO_STORE = ("Cache-Control", "no-store")
_PHRASES = {
    200: "200 OK",
    401: "401 Unauthorized",
    404: "404 Not Found",
    503: "503 Service Unavailable",
}


def health_answer() -> tuple[int, dict]:
    return 200, {"status": "ok"}


def metrics_allowed(authorization: str) -> int:
    """200, or 404 when /metrics is served only on its own bind, or 401 without the token."""
    token = settings.METRICS_TOKEN
    if not token:
        return 404
    scheme, _, given = authorization.partition(" ")
    # Bytes: compare_digest refuses str with non-ASCII characters, which anyone may send.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(errors="surrogateescape"), token.encode()
    ):
        return 401
    return 200


class OpsPaths:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/-/health/":
            return self._json(start_response, *health_answer())
        if path == "/-/ready/":
            return self._json(start_response, *checks.readiness())
        if path == "/metrics":
            status = metrics_allowed(environ.get("HTTP_AUTHORIZATION", ""))
            if status != 200:
                return self._json(
                    start_response,
                    status,
                    {"detail": "not found" if status == 404 else "token required"},
                )
            body = collect.exposition()
            start_response(_PHRASES[200], [_TEXT, _NO_STORE])
            return [body]
        return self.app(environ, start_response)

    @staticmethod
    def _json(start_response, status: int, body: dict):
        start_response(_PHRASES[status], [_JSON, _NO_STORE])
        return [orjson.dumps(body)]
