"""The HTTP edge for SDKs: authenticate, cap, validate, enqueue the raw body, answer.

No grouping and no database writes here: the body goes to the ingest queue as received
(still compressed) and Celery workers do the rest. See docs in protocols.md §2-4.
"""

import time
import uuid
from typing import NamedTuple

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from events.queue import QueuedPayload
from events.wire import compression, eventcheck, protocol

from . import handoff, keys, ratelimit

READ_CHUNK = 64 * 1024
_AUTH_HEADERS = (
    ("x-sentry-auth", "HTTP_X_SENTRY_AUTH"),
    ("authorization", "HTTP_AUTHORIZATION"),
    ("user-agent", "HTTP_USER_AGENT"),
)


class Answer(NamedTuple):
    """What the edge answers, without Django's response object (the WSGI fast path writes
    it straight out; the URLconf views wrap it in an HttpResponse)."""

    status: int
    content: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def as_response(self) -> HttpResponse:
        response = HttpResponse(self.content, status=self.status, content_type=JSON)
        for name, value in self.headers:
            response[name] = value
        return response


JSON = "application/json"
EMPTY = Answer(200, b"{}")


def ok(event_id: str | None) -> Answer:
    return Answer(200, orjson.dumps({"id": event_id})) if event_id else EMPTY


def error_answer(status: int, detail: str, *headers: tuple[str, str]) -> Answer:
    # raven logs only the X-Sentry-Error header
    return Answer(status, orjson.dumps({"detail": detail}), (("X-Sentry-Error", detail), *headers))


def read_body(request: HttpRequest, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes.

    Node SDKs send chunked bodies without Content-Length; under WSGI Django then sees an
    empty body, so those are read from the server's input stream directly.
    """
    length = request.META.get("CONTENT_LENGTH")
    if length:
        try:
            size = int(length)
        except ValueError:
            raise protocol.ProtocolError("invalid Content-Length") from None
        if size > limit:
            raise protocol.ProtocolError("request body too large", 413)
        return request.read(size)
    if request.META.get("HTTP_TRANSFER_ENCODING", "").lower() != "chunked":
        return b""
    stream = request.META.get("wsgi.input", request)
    parts, total = [], 0
    while chunk := stream.read(READ_CHUNK):
        total += len(chunk)
        if total > limit:
            raise protocol.ProtocolError("request body too large", 413)
        parts.append(chunk)
    return b"".join(parts)


class Refused(Exception):
    """Not the client's fault: try again later (rate limit, backlog, outage)."""

    def __init__(self, status: int, detail: str, retry_after: int, rate_limits: str = ""):
        super().__init__(detail)
        self.status, self.detail, self.retry_after, self.rate_limits = (
            status, detail, retry_after, rate_limits,
        )  # fmt: skip

    def answer(self) -> Answer:
        headers = [("Retry-After", str(self.retry_after))]
        if self.rate_limits:
            headers.append(("X-Sentry-Rate-Limits", self.rate_limits))
        return error_answer(self.status, self.detail, *headers)


def authenticate(auth: protocol.Auth | None, project_id: int) -> keys.KeyInfo:
    if auth is None:
        raise protocol.ProtocolError("missing authorization information", 401)
    try:
        key = keys.lookup(auth.public_key)
    except keys.KeysUnavailable:
        raise Refused(503, "service temporarily unavailable", 30) from None
    if key is None or key.project_id != project_id or not key.is_active:
        raise protocol.ProtocolError("event submission rejected with_reason: ProjectId", 403)
    return key


def check_rate_limit(key: keys.KeyInfo) -> None:
    limited = ratelimit.check(key)
    if limited:
        seconds, scope = limited
        raise Refused(
            429, f"event submission rejected: {scope} rate limit exceeded", seconds,
            f"{seconds}:error;default;security:{scope}:rate_limited",
        )  # fmt: skip


def _auth_from_envelope(
    envelope: protocol.Envelope, auth: protocol.Auth | None
) -> protocol.Auth | None:
    """An envelope may authenticate itself with a `dsn` header (tunnels, offline caches)."""
    dsn = envelope.header.get("dsn")
    if not isinstance(dsn, str) or not dsn:
        return auth
    parsed = protocol.parse_dsn(dsn)
    if auth is not None and auth.public_key != parsed.public_key:
        raise protocol.ProtocolError("multiple authorization payloads detected", 401)
    return auth or protocol.Auth(parsed.public_key, parsed.secret_key, 7, None)


def _project_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise protocol.ProtocolError("bad project path parameter")
    return int(raw)


def _parse(
    request: HttpRequest, project_id: int, kind: str
) -> tuple[keys.KeyInfo, bytes, str | None, bool]:
    """Authenticate and validate; returns (key, body, event id, has an event)."""
    meta = request.META
    headers = {  # only what extract_auth reads: request.headers would parse every header
        name: meta[key] for name, key in _AUTH_HEADERS if key in meta
    }
    query = request.GET.dict() if meta.get("QUERY_STRING") else {}
    auth = protocol.extract_auth(headers, query)
    key = None
    if auth is not None or kind == "store":
        key = authenticate(auth, project_id)  # before any decompression work
    body = read_body(request, settings.INGEST_MAX_BODY_BYTES)
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "")
    if kind == "store":
        data = compression.decompress(body, encoding, protocol.MAX_EVENT_BYTES)
        return key, body, eventcheck.check_event_json(protocol.decode_store_body(data)), True
    envelope = protocol.parse_envelope(
        compression.decompress(body, encoding, protocol.MAX_ENVELOPE_BYTES)
    )
    if key is None or "dsn" in envelope.header:
        key = authenticate(_auth_from_envelope(envelope, auth), project_id)
    item = envelope.event_item()
    if item is None:  # sessions, client reports, transactions...: accepted, not stored
        return key, body, envelope.event_id, False
    # SDKs put the event id in the envelope's header; the event's own is the fallback.
    event_id = eventcheck.check_event_json(item.payload, want_id=envelope.event_id is None)
    return key, body, envelope.event_id or event_id, True


def ingest(request: HttpRequest, raw_project_id: str, kind: str) -> Answer:
    """`request` is a Django request or anything with its `method`, `META`, `GET` and
    `read` (events/ingest/wsgi.py passes a lighter one)."""
    if request.method == "OPTIONS":
        return EMPTY
    if request.method != "POST":
        return error_answer(405, "method not allowed")
    try:
        project_id = _project_id(raw_project_id)
        key, body, event_id, has_event = _parse(request, project_id, kind)
        if not has_event:
            return ok(event_id)
        check_rate_limit(key)
        event_id = event_id or uuid.uuid4().hex
        handoff.hand_off(
            QueuedPayload(
                project_id=project_id,
                event_id=event_id,
                received=time.time(),
                kind=kind,
                content_encoding=request.META.get("HTTP_CONTENT_ENCODING", ""),
                body=body,
                client_ip=request.META.get("REMOTE_ADDR"),
            )
        )
    except protocol.ProtocolError as exc:
        return error_answer(exc.status, exc.detail)
    except handoff.Overloaded as exc:
        return Refused(429, "too many events queued; try again later", exc.retry_after).answer()
    except Refused as exc:
        return exc.answer()
    return ok(event_id)


@csrf_exempt
def store(request: HttpRequest, project_id: str) -> HttpResponse:
    return ingest(request, project_id, "store").as_response()


@csrf_exempt
def envelope(request: HttpRequest, project_id: str) -> HttpResponse:
    return ingest(request, project_id, "envelope").as_response()
