"""The plain HTTP check-in URL a shell script can call with curl (Sentry's form):

    /api/<project_id>/cron/<monitor_slug>/<public_key>/?status=ok|error|in_progress

GET or POST; a POST may carry a JSON body with `status` and `monitor_config`. Query
parameters: status, check_in_id, environment, duration (milliseconds, as Sentry's). It takes
the ingest edges' one path, `events.ingest.admission` (key -> project -> active -> read ->
limits -> hand-off): the check-in is queued as a one-item envelope and the worker applies
it exactly like an SDK's.
"""

from __future__ import annotations

import time
import uuid

import orjson
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from events.ingest import admission
from events.ingest.body import read_body
from events.ingest.sentry import error_answer, refusal_answer
from events.queue import QueuedPayload
from events.wire.refusal import Refusal

from . import checkin_wire

MAX_BODY = 64 * 1024


def _project_id(raw: str) -> int | None:
    if not raw.isdigit() or len(raw) > 18:
        raise Refusal("bad_project", "bad project path parameter")
    return int(raw) or None  # /api/0/cron/...: the key alone names the project


def _checkin(request: HttpRequest, slug: str) -> dict:
    data = {}
    if request.method == "POST":
        body = read_body(request, MAX_BODY)
        if body.strip():
            try:
                data = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise checkin_wire.bad("the body is not JSON") from None
            if not isinstance(data, dict):
                raise checkin_wire.bad("the body must be a JSON object")
    query = request.GET
    for name in ("status", "check_in_id", "environment"):
        if name in query:
            data[name] = query[name]
    if "duration" in query:
        try:
            data["duration"] = float(query["duration"]) / 1000.0
        except ValueError:
            raise checkin_wire.bad("duration must be a number of milliseconds") from None
    data["monitor_slug"] = slug
    return data


def _answer(answer) -> HttpResponse:
    response = HttpResponse(answer.content, status=answer.status, content_type="application/json")
    for name, value in answer.headers:
        response[name] = value
    return response


@csrf_exempt
def checkin(request: HttpRequest, project_id: str, slug: str, public_key: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return _answer(error_answer(405, "method not allowed"))
    found = {}

    def read(key) -> QueuedPayload:
        data = _checkin(request, slug)
        parsed = checkin_wire.from_dict(data)  # refuses a bad check-in before queueing it
        found["id"] = parsed.check_in_id
        if parsed.id_given or parsed.status == "in_progress":  # else: closes the latest run
            data["check_in_id"] = parsed.check_in_id
        item = orjson.dumps(data)
        header = orjson.dumps({"type": "check_in", "length": len(item)})
        return QueuedPayload(
            project_id=key.project_id, event_id=uuid.uuid4().hex, received=time.time(),
            kind="envelope", content_encoding="", body=b"{}\n" + header + b"\n" + item,
            client_ip=request.META.get("REMOTE_ADDR"),
        )  # fmt: skip

    try:
        admission.GATE.admit(public_key, _project_id(project_id), read)
    except Refusal as exc:
        return _answer(refusal_answer(exc))
    return HttpResponse(
        orjson.dumps({"id": found["id"]}), status=202, content_type="application/json"
    )
