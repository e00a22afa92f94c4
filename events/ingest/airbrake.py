"""The Airbrake / Errbit notifier API (docs/protocols.md §9): notices in, Sentry events queued.

Like the Sentry endpoints, it admits through events/ingest/admission.py: key, project,
body, limits, hand-off. A notice is converted to a Sentry event here (events/wire/airbrake.py)
and queued as a plain store body, so the workers need nothing Airbrake-specific. Errors are
JSON with both `message` (what Airbrake notifiers log) and `detail` (what our other
endpoints answer); never a 500.
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

from aggregator import metrics
from events.queue import QueuedPayload
from events.wire import airbrake, compression
from events.wire.event_json import MAX_EVENT_BYTES, loads_json, normalize_event_id
from events.wire.refusal import Refusal

from . import admission
from .body import read_body

log = logging.getLogger(__name__)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "origin, content-type, accept, authorization, x-airbrake-token",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
}
MISSING_KEY = "missing API key: use ?key=, Authorization: Bearer or X-Airbrake-Token"
# Where Airbrake's API answers a refusal differently from the Sentry endpoints.
_STATUS = {"unknown_key": 422}
_MESSAGE = {"unknown_key": "Your API key is unknown", "disabled_key": "Your API key is disabled"}


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


def refusal_response(refusal: Refusal) -> HttpResponse:
    return error_response(
        _STATUS.get(refusal.reason, refusal.status),
        _MESSAGE.get(refusal.reason, refusal.detail),
        refusal.retry_after,
    )


def locate_url(event_id: str) -> str:
    return settings.BASE_URL + reverse("ingest:airbrake-locate", args=[event_id])


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
        raise Refusal("bad_auth", "conflicting API keys in the request")
    return found.pop() if found else None


def _read(request: HttpRequest) -> bytes:
    body = read_body(request, MAX_EVENT_BYTES)
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "")
    return compression.decompress(body, encoding, MAX_EVENT_BYTES)


def _payload(key, notice, request: HttpRequest) -> QueuedPayload:
    """The notice as the store body of a Sentry event, with an event id of ours."""
    event = airbrake.notice_to_event(notice)
    event_id = uuid.uuid4().hex
    event["event_id"] = event_id
    body = orjson.dumps(event)
    if len(body) > MAX_EVENT_BYTES:
        raise Refusal("too_large", f"notice too large: more than {MAX_EVENT_BYTES} bytes")
    return QueuedPayload(
        project_id=key.project_id,
        event_id=event_id,
        received=time.time(),
        kind="store",
        content_encoding="",
        body=body,
        client_ip=request.META.get("REMOTE_ADDR"),
    )


def _answer(handler, request: HttpRequest, *args) -> HttpResponse:
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=200))
    started = time.perf_counter()
    try:
        response = _cors(handler(request, *args))
    except Refusal as exc:
        metrics.ingest_observed("airbrake", exc.reason, time.perf_counter() - started)
        return refusal_response(exc)
    except Exception:  # a bug must not look like a server outage to the notifier
        log.exception("airbrake: unexpected error")
        return error_response(400, "Invalid request: the notice could not be processed")
    metrics.ingest_observed("airbrake", None, time.perf_counter() - started)
    return response


def _v3(request: HttpRequest, project_id: str) -> HttpResponse:
    if request.method != "POST":
        raise Refusal("method_not_allowed", "method not allowed: POST a notice")
    # Errbit takes the project id as the key when no key is given: its users put the key
    # in both places. Otherwise the project id must be the key's project (or the key).
    public_key = _request_key(request) or (None if project_id.isdigit() else project_id)
    if not public_key:
        raise Refusal("missing_auth", MISSING_KEY)
    if project_id == public_key:
        project = None  # Errbit's form: the key stands in for the project
    elif project_id.isdigit() and len(project_id) <= 18:
        project = int(project_id)
    else:
        project = project_id[:40]  # no project has this id: refused as the wrong project

    def read(key) -> QueuedPayload:
        try:
            notice = loads_json(_read(request))
        except Refusal as exc:
            if exc.reason == "too_large":
                raise
            raise Refusal(exc.reason, f"Invalid request: {exc.detail}") from None
        return _payload(key, notice, request)

    user_agent = request.META.get("HTTP_USER_AGENT", "")
    payload = admission.GATE.admit(public_key[:64], project, read, user_agent)
    event_id = payload.event_id
    return JsonResponse({"id": event_id, "url": locate_url(event_id)}, status=201)


def _v2_data(request: HttpRequest) -> bytes:
    """The XML in the raw body (any content type, as `curl -d @notice.xml` sends it), or in
    a `data` form field or query parameter."""
    if request.method == "GET":
        return request.GET.get("data", "").encode()
    if request.method == "POST" and request.content_type == "multipart/form-data":
        try:
            return request.POST.get("data", "").encode()
        except RequestDataTooBig:
            raise Refusal("too_large", "notice too large") from None
        except MultiPartParserError as exc:
            raise Refusal("bad_request", f"Invalid request: {exc}") from None
    if request.method == "POST":
        data = _read(request)
        if data.lstrip()[:1] != b"<":  # not raw XML: a form with a `data` field
            try:
                form = QueryDict(data, encoding=request.encoding)
            except TooManyFieldsSent:
                raise Refusal("bad_request", "Invalid request: too many form fields") from None
            data = form["data"].encode() if "data" in form else data
        return data
    raise Refusal("method_not_allowed", "method not allowed")


def _v2(request: HttpRequest) -> HttpResponse:
    data = _v2_data(request)
    if not data.strip():
        raise Refusal("bad_notice", "Invalid request: empty notice")
    api_key, notice = airbrake.xml_to_notice(data)  # the key is inside the notice
    if not api_key:
        raise Refusal("missing_auth", MISSING_KEY)
    payload = admission.GATE.admit(
        api_key[:64], None, lambda key: _payload(key, notice, request),
        request.META.get("HTTP_USER_AGENT", ""),
    )  # fmt: skip
    url = locate_url(payload.event_id)
    xml = f"<notice><id>{payload.event_id}</id><url>{url}</url></notice>"
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

    event_id = normalize_event_id(event_id)
    event = Event.objects.filter(event_id=event_id).only("issue_id").first() if event_id else None
    if event is None:
        raise Http404("This event has not been processed yet, or does not exist.")
    return redirect("admin:events_issue_change", event.issue_id)
