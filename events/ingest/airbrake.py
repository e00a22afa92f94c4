"""The Airbrake / Errbit notifier API (protocols.md §9): notices in, Sentry events queued.

Like the SDK edge: authenticate, cap, validate, hand off, answer. A notice is converted to
a Sentry event here (events/wire/airbrake.py) and queued as a plain store body, so the workers
need nothing Airbrake-specific. Errors are JSON with both `message` (what Airbrake notifiers
log) and `detail` (what our other endpoints answer); never a 500.
"""

import logging
import time
import uuid

import orjson
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from events.queue import QueuedPayload
from events.wire import airbrake, compression, protocol

from . import handoff, keys, ratelimit
from .sentry import read_body

log = logging.getLogger(__name__)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "origin, content-type, accept, authorization, x-airbrake-token",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
}


class Refusal(Exception):
    def __init__(self, status: int, detail: str, retry_after: int | None = None):
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after


def _cors(response: HttpResponse) -> HttpResponse:
    for name, value in CORS_HEADERS.items():
        response[name] = value
    return response


def error_response(status: int, detail: str, retry_after: int | None = None) -> HttpResponse:
    response = JsonResponse({"message": detail, "detail": detail}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
        response["X-RateLimit-Delay"] = str(retry_after)  # what pybrake reads on a 429
    return _cors(response)


def locate_url(event_id: str) -> str:
    return settings.BASE_URL + reverse("airbrake:locate", args=[event_id])


def _request_key(request: HttpRequest) -> str | None:
    """The key from `?key=`, `Authorization: Bearer`, or `X-Airbrake-Token`; all must agree."""
    found = set()
    if request.GET.get("key"):
        found.add(request.GET["key"].strip())
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        found.add(credentials.strip())
    if request.headers.get("X-Airbrake-Token", "").strip():
        found.add(request.headers["X-Airbrake-Token"].strip())
    if len(found) > 1:
        raise Refusal(401, "conflicting API keys in the request")
    return found.pop() if found else None


def _key_info(public_key: str | None) -> keys.KeyInfo:
    if not public_key:
        raise Refusal(401, "missing API key: use ?key=, Authorization: Bearer or X-Airbrake-Token")
    try:
        key = keys.lookup(public_key[:64])
    except keys.KeysUnavailable:
        raise Refusal(503, "service temporarily unavailable", 30) from None
    if key is None:
        raise Refusal(422, "Your API key is unknown")
    if not key.is_active:
        raise Refusal(403, "Your API key is disabled")
    return key


def _read(request: HttpRequest) -> bytes:
    body = read_body(request, protocol.MAX_EVENT_BYTES)
    return compression.decompress(
        body, request.META.get("HTTP_CONTENT_ENCODING", ""), protocol.MAX_EVENT_BYTES
    )


def _queue(key: keys.KeyInfo, event: dict, client_ip: str | None) -> str:
    limited = ratelimit.check(key)
    if limited:
        raise Refusal(429, f"{limited[1]} rate limit exceeded: retry later", limited[0])
    event_id = uuid.uuid4().hex
    event["event_id"] = event_id
    body = orjson.dumps(event)
    if len(body) > protocol.MAX_EVENT_BYTES:
        raise Refusal(413, f"notice too large: more than {protocol.MAX_EVENT_BYTES} bytes")
    try:
        handoff.hand_off(
            QueuedPayload(
                project_id=key.project_id,
                event_id=event_id,
                received=time.time(),
                kind="store",
                content_encoding="",
                body=body,
                client_ip=client_ip,
            )
        )
    except handoff.Overloaded as exc:
        raise Refusal(429, "too many events queued; try again later", exc.retry_after) from None
    return event_id


def _answer(handler, request: HttpRequest, *args) -> HttpResponse:
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=200))
    try:
        return _cors(handler(request, *args))
    except Refusal as exc:
        return error_response(exc.status, exc.detail, exc.retry_after)
    except airbrake.NoticeError as exc:
        return error_response(exc.status, exc.detail)
    except protocol.ProtocolError as exc:
        return error_response(exc.status, exc.detail)
    except Exception:  # a bug must not look like a server outage to the notifier
        log.exception("airbrake: unexpected error")
        return error_response(400, "Invalid request: the notice could not be processed")


def _v3(request: HttpRequest, project_id: str) -> HttpResponse:
    if request.method != "POST":
        raise Refusal(405, "method not allowed: POST a notice")
    # Errbit takes the project id as the key when no key is given: its users put the key
    # in both places. Otherwise the project id must be the key's project (or the key).
    public_key = _request_key(request) or (None if project_id.isdigit() else project_id)
    key = _key_info(public_key)
    if project_id != public_key and project_id != str(key.project_id):
        raise Refusal(403, f"project {project_id[:40]} does not match the API key's project")
    try:
        notice = protocol.loads_json(_read(request))
    except protocol.ProtocolError as exc:
        if exc.status == 413:
            raise
        raise Refusal(400, f"Invalid request: {exc.detail}") from None
    event = airbrake.notice_to_event(notice)
    event_id = _queue(key, event, request.META.get("REMOTE_ADDR"))
    return JsonResponse({"id": event_id, "url": locate_url(event_id)}, status=201)


def _v2(request: HttpRequest) -> HttpResponse:
    """The XML in the raw body (any content type, as `curl -d @notice.xml` sends it), or in
    a `data` form field or query parameter."""
    if request.method == "GET":
        data = request.GET.get("data", "").encode()
    elif request.method == "POST" and request.content_type == "multipart/form-data":
        try:
            data = request.POST.get("data", "").encode()
        except RequestDataTooBig:
            raise Refusal(413, "notice too large") from None
        except MultiPartParserError as exc:
            raise Refusal(400, f"Invalid request: {exc}") from None
    elif request.method == "POST":
        data = _read(request)
        if data.lstrip()[:1] != b"<":  # not raw XML: a form with a `data` field
            try:
                form = QueryDict(data, encoding=request.encoding)
            except TooManyFieldsSent:
                raise Refusal(400, "Invalid request: too many form fields") from None
            data = form["data"].encode() if "data" in form else data
    else:
        raise Refusal(405, "method not allowed")
    if not data.strip():
        raise Refusal(400, "Invalid request: empty notice")
    api_key, notice = airbrake.xml_to_notice(data)
    key = _key_info(api_key)
    event = airbrake.notice_to_event(notice)
    event_id = _queue(key, event, request.META.get("REMOTE_ADDR"))
    url = locate_url(event_id)
    xml = f"<notice><id>{event_id}</id><url>{url}</url></notice>"
    return HttpResponse(xml, content_type="application/xml")


@csrf_exempt
def notices_v3(request: HttpRequest, project_id: str) -> HttpResponse:
    return _answer(_v3, request, project_id)


@csrf_exempt
def notices_v2(request: HttpRequest) -> HttpResponse:
    return _answer(_v2, request)


@staff_member_required
def locate(request: HttpRequest, event_id: str) -> HttpResponse:
    """Where a notice's `url` points: the issue its event was grouped into, once processed."""
    from events.models import Event

    event_id = protocol.normalize_event_id(event_id)
    event = Event.objects.filter(event_id=event_id).only("issue_id").first() if event_id else None
    if event is None:
        raise Http404("This event has not been processed yet, or does not exist.")
    return redirect("admin:events_issue_change", event.issue_id)
