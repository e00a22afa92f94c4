"""The Sentry endpoints, store and envelope (docs/protocols.md §2-4): authenticate, cap,
validate, hand off, answer.

No grouping and no database writes here: the body goes to the ingest queue as received
(still compressed) and Celery workers do the rest. `ingest` takes a Django request or the
lighter one of the WSGI fast path (wsgi.py), which serves these paths in production.
"""

import time
import uuid
from typing import NamedTuple

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from aggregator import metrics
from events import items
from events.queue import QueuedPayload
from events.wire import compression
from events.wire.auth import Auth, extract_auth, parse_dsn
from events.wire.envelope import MAX_ENVELOPE_BYTES, Envelope, parse_envelope
from events.wire.event_json import MAX_EVENT_BYTES, decode_store_body
from events.wire.eventcheck import check_event_json
from events.wire.refusal import Refusal
from outcomes import record as outcomes

from . import admission, cors
from .body import read_body

JSON = "application/json"
_MISSING_AUTH = "missing authorization information"
_AUTH_HEADERS = (
    ("x-sentry-auth", "HTTP_X_SENTRY_AUTH"),
    ("authorization", "HTTP_AUTHORIZATION"),
    ("user-agent", "HTTP_USER_AGENT"),
)
# Relay answers every key refusal alike, so a probe learns nothing about which keys exist.
_KEY_REFUSALS = frozenset({"unknown_key", "wrong_project", "disabled_key"})
_KEY_REFUSED = "event submission rejected with_reason: ProjectId"


class Answer(NamedTuple):
    """What the edge answers, without Django's response object (the WSGI fast path writes
    it straight out; the URLconf views wrap it in an HttpResponse)."""

    status: int
    content: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def as_response(self, preflight: bool = False) -> HttpResponse:
        response = HttpResponse(self.content, status=self.status, content_type=JSON)
        for name, value in (*cors.headers(preflight), *self.headers):
            response[name] = value
        return response


EMPTY = Answer(200, b"{}")


def ok(event_id: str | None) -> Answer:
    return Answer(200, orjson.dumps({"id": event_id})) if event_id else EMPTY


def error_answer(status: int, detail: str, *headers: tuple[str, str]) -> Answer:
    # raven logs only the X-Sentry-Error header
    return Answer(status, orjson.dumps({"detail": detail}), (("X-Sentry-Error", detail), *headers))


def refusal_answer(refusal: Refusal) -> Answer:
    """The answer SDKs understand: the status, X-Sentry-Error, and when to come back."""
    detail = _KEY_REFUSED if refusal.reason in _KEY_REFUSALS else refusal.detail
    headers = []
    if refusal.retry_after is not None:
        headers.append(("Retry-After", str(refusal.retry_after)))
    if refusal.reason == "rate_limited":  # §5.1: what SDKs read to back off
        detail = f"event submission rejected: {refusal.detail}"
        quota = refusal.quota or "rate_limited"
        limits = f"{refusal.retry_after}:error;default;security:{refusal.scope}:{quota}"
        headers.append(("X-Sentry-Rate-Limits", limits))
    return error_answer(refusal.status, detail, *headers)


def _project_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise Refusal("bad_project", "bad project path parameter")
    return int(raw)


def _request_auth(request: HttpRequest) -> Auth | None:
    meta = request.META
    headers = {  # only what extract_auth reads: request.headers would parse every header
        name: meta[key] for name, key in _AUTH_HEADERS if key in meta
    }
    query = request.GET.dict() if meta.get("QUERY_STRING") else {}
    return extract_auth(headers, query)


def _envelope_auth(envelope: Envelope, auth: Auth | None) -> Auth | None:
    """An envelope may authenticate itself with a `dsn` header (tunnels, offline caches)."""
    dsn = envelope.header.get("dsn")
    if not isinstance(dsn, str) or not dsn:
        return auth
    parsed = parse_dsn(dsn)
    if auth is not None and auth.public_key != parsed.public_key:
        raise Refusal("bad_auth", "multiple authorization payloads detected")
    return auth or Auth(parsed.public_key, parsed.secret_key, 7, None)


class _Reader:
    """This edge's part of admission (admission.Reader): read and check the body once the
    key is known. Keeps the envelope's event id for the answer when nothing is stored."""

    __slots__ = ("request", "project_id", "kind", "auth", "body", "envelope", "event_id")

    def __init__(self, request: HttpRequest, project_id: int, kind: str, auth: Auth | None):
        self.request, self.project_id, self.kind, self.auth = request, project_id, kind, auth
        self.body: bytes | None = None
        self.envelope: Envelope | None = None
        self.event_id: str | None = None

    def read_envelope(self) -> Envelope:
        self.body = read_body(self.request, settings.INGEST_MAX_BODY_BYTES)
        encoding = self.request.META.get("HTTP_CONTENT_ENCODING", "")
        self.envelope = parse_envelope(
            compression.decompress(self.body, encoding, MAX_ENVELOPE_BYTES)
        )
        return self.envelope

    def __call__(self, key) -> QueuedPayload | None:
        if self.kind == "store":
            self.body = read_body(self.request, settings.INGEST_MAX_BODY_BYTES)
            encoding = self.request.META.get("HTTP_CONTENT_ENCODING", "")
            data = compression.decompress(self.body, encoding, MAX_EVENT_BYTES)
            return self._payload(check_event_json(decode_store_body(data)))
        envelope = self.envelope
        if envelope is None:
            envelope = self.read_envelope()
            _envelope_auth(envelope, self.auth)  # a `dsn` header must name the same key
        self.event_id = envelope.event_id
        if len(envelope.items) > 1 or (envelope.items and envelope.items[0].type != "event"):
            outcomes.envelope_items(key.project_id, envelope.items)  # what is not stored
        item = envelope.event_item()
        if item is None:
            if taken := items.routed(envelope.items):  # check-ins, feedback: for their apps
                items.check(taken)  # a bad one is refused with its reason, nothing queued
                return self._payload(self.event_id)
            return None  # sessions, client reports, transactions...: accepted, not stored
        # With an event, other items are not checked here: a bad one must not cost the
        # event; the worker keeps it as a FailedPayload with the reason.
        # SDKs put the event id in the envelope's header; the event's own is the fallback.
        event_id = check_event_json(item.payload, want_id=self.event_id is None)
        return self._payload(self.event_id or event_id)

    def _payload(self, event_id: str | None) -> QueuedPayload:
        meta = self.request.META
        return QueuedPayload(
            project_id=self.project_id,
            event_id=event_id or uuid.uuid4().hex,
            received=time.time(),
            kind=self.kind,
            content_encoding=meta.get("HTTP_CONTENT_ENCODING", ""),
            body=self.body,
            client_ip=meta.get("REMOTE_ADDR"),
        )


def ingest(request: HttpRequest, raw_project_id: str, kind: str) -> Answer:
    """`request` is a Django request or anything with its `method`, `META`, `GET` and
    `read` (events/ingest/wsgi.py passes a lighter one)."""
    if request.method == "OPTIONS":
        return EMPTY
    if request.method != "POST":
        return error_answer(405, "method not allowed")
    started = time.perf_counter()
    try:
        project_id = _project_id(raw_project_id)
        auth = _request_auth(request)
        reader = _Reader(request, project_id, kind, auth)
        if auth is None and kind == "envelope":
            # Only an envelope that names its key in a `dsn` header is read before the key
            # is checked; everything else is refused before any decompression work.
            auth = _envelope_auth(reader.read_envelope(), None)
        if auth is None:
            raise Refusal("missing_auth", _MISSING_AUTH)
        payload = admission.GATE.admit(
            auth.public_key, project_id, reader, request.META.get("HTTP_USER_AGENT", "")
        )
    except Refusal as exc:
        metrics.ingest_observed(kind, exc.reason, time.perf_counter() - started)
        return refusal_answer(exc)
    metrics.ingest_observed(kind, None, time.perf_counter() - started, payload is not None)
    return ok(payload.event_id if payload is not None else reader.event_id)


@csrf_exempt
def endpoint(request: HttpRequest, project_id: str, kind: str) -> HttpResponse:
    """The same, through Django's URLconf (the test client, runserver)."""
    answer = ingest(request, project_id, kind)
    return answer.as_response(preflight=request.method == "OPTIONS")
