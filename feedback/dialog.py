"""The crash-report dialog browser SDKs open with `showReportDialog`:

    GET  /api/embed/error-page/?dsn=<DSN>&eventId=<id>[&name=..&email=..]  -> the dialog script
    POST the same URL, a form with name, email, comments                      -> stored

The script is static (feedback/static/feedback/error-page.js): it reads the DSN, event id and
defaults from its own URL at run time, so nothing a page passes is written into code. It
builds the dialog with DOM calls (text, never HTML) and posts the form back as a simple
cross-origin request. The POST takes the ingest edges' one path (events.ingest.admission):
key -> project -> active -> read -> limits -> hand-off, as a `user_report` envelope item
that the worker stores like an SDK's.
"""

from __future__ import annotations

import time
import uuid
from functools import cache
from pathlib import Path

import orjson
from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from events.ingest import admission
from events.ingest.body import read_body
from events.ingest.sentry import error_answer, refusal_answer
from events.queue import QueuedPayload
from events.wire.auth import parse_dsn
from events.wire.refusal import Refusal

from . import wire

SCRIPT = Path(__file__).parent / "static" / "feedback" / "error-page.js"
MAX_FORM = 32 * 1024


@cache
def _script() -> bytes:
    return SCRIPT.read_bytes()


def _respond(
    status: int, content: bytes, content_type="application/json", headers=()
) -> HttpResponse:
    response = HttpResponse(content, status=status, content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"  # a page of any origin opens the dialog
    for name, value in headers:
        response[name] = value
    return response


def _answer(answer) -> HttpResponse:
    return _respond(answer.status, answer.content, headers=answer.headers)


def _target(request: HttpRequest) -> tuple[str, int, str]:
    """(public key, project id, event id) from the query."""
    dsn = parse_dsn(request.GET.get("dsn", ""))
    about = wire.event_id(request.GET.get("eventId"), "eventId")
    if not about:
        raise wire.bad("eventId is required")
    return dsn.public_key, dsn.project_id, about


@csrf_exempt
def error_page(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return _respond(
            200,
            b"{}",
            headers=(
                ("Access-Control-Allow-Methods", "GET, POST"),
                ("Access-Control-Allow-Headers", "Content-Type"),
            ),
        )
    if request.method not in ("GET", "POST"):
        return _answer(error_answer(405, "method not allowed"))
    try:
        public_key, project_id, about = _target(request)
        if request.method == "GET":
            admission.check_key(admission.GATE.lookup(public_key), public_key, project_id)
            return _respond(
                200,
                _script(),
                "text/javascript; charset=utf-8",
                (("Cache-Control", "public, max-age=300"),),
            )
        admission.GATE.admit(public_key, project_id, lambda key: _payload(request, key, about))
    except Refusal as exc:
        return _answer(refusal_answer(exc))
    return _respond(200, b"{}")


def _payload(request: HttpRequest, key, about: str) -> QueuedPayload:
    form = QueryDict(read_body(request, MAX_FORM), encoding="utf-8")
    report = {"event_id": about, "name": form.get("name", ""), "email": form.get("email", ""),
              "comments": form.get("comments", "")}  # fmt: skip
    wire.from_user_report(report, "dialog")  # refuses a bad form before it is queued
    report["source"] = "dialog"
    item = orjson.dumps(report)
    header = orjson.dumps({"type": "user_report", "length": len(item)})
    return QueuedPayload(
        project_id=key.project_id, event_id=uuid.uuid4().hex, received=time.time(),
        kind="envelope", content_encoding="", body=b'{"event_id":"' + about.encode() + b'"}\n'
        + header + b"\n" + item, client_ip=request.META.get("REMOTE_ADDR"),
    )  # fmt: skip
