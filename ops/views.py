"""Thin views: health, readiness and metrics (also served by ops/wsgi.py without the
middleware), and the staff status page with its replay button."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from projects import access

from . import checks, collect
from . import replay as replaying
from . import status as status_reads
from .wsgi import health_answer, metrics_allowed

REPLAY_AT_ONCE = 1000  # per click; the command has no cap


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@access.rule(access.PUBLIC)
def health(request):
    code, body = health_answer()
    return _no_store(JsonResponse(body, status=code))


@access.rule(access.PUBLIC)
def ready(request):
    code, body = checks.readiness()
    return _no_store(JsonResponse(body, status=code))


@access.rule(access.PUBLIC)  # its own bearer token (METRICS_TOKEN), not a session
def metrics_view(request):
    code = metrics_allowed(request.headers.get("Authorization", ""))
    if code != 200:
        detail = "not found" if code == 404 else "token required"
        return _no_store(JsonResponse({"detail": detail}, status=code))
    body = collect.exposition()
    return _no_store(HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8"))


def _staff(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("staff only")


@access.rule(access.STAFF)
@login_required
def status(request):
    _staff(request)
    return render(request, "ops/status.html", status_reads.page(timezone.now()))


@access.rule(access.STAFF)
@login_required
@require_POST
def replay(request):
    _staff(request)
    ids = None
    if request.POST.get("id"):
        try:
            ids = [int(request.POST["id"])]
        except ValueError:
            return HttpResponse("bad payload id", status=400)
    rows = replaying.select(ids)[:REPLAY_AT_ONCE]
    result = replaying.replay(list(rows))
    messages.success(request, f"{result.queued} failed payload(s) queued again.")
    for pk, why in result.skipped.items():
        messages.error(request, f"Payload {pk} not replayable: {why}")
    return redirect("ops:status")
