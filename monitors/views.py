"""Monitors on the dashboard: a project's monitors, one monitor's page (timeline of
check-ins, the curl and SDK snippets with the project's DSN), the editor and mute. Access
from projects.access: viewers see, members also mute, owners and admins edit."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from projects import access

from . import checkins, schedule
from .forms import MonitorForm
from .models import Monitor

TIMELINE = 60  # check-ins on the monitor page's timeline
BAR, GAP, HEIGHT = 12, 3, 80  # 60 bars fit the page width
COLOURS = {"ok": "#2e7d32", "error": "#c62828", "missed": "#ef6c00", "timeout": "#6a1b9a",
           "in_progress": "#1565c0"}  # fmt: skip


def _monitor(request, org_slug, project_slug, slug, *, role=None):
    project = access.project_or_404(request.user, org_slug, project_slug, role=role)
    monitor = Monitor.objects.filter(project=project, slug=slug).first()
    if monitor is None:
        raise Http404("No such monitor.")
    monitor.project = project
    return monitor


def describe(monitor: Monitor) -> str:
    return schedule.describe(monitor.schedule_type, monitor.crontab, monitor.interval_value,
                             monitor.interval_unit, monitor.timezone)  # fmt: skip


@access.rule("viewer")
@login_required
@require_GET
def monitor_list(request, org_slug, project_slug):
    project = access.project_or_404(request.user, org_slug, project_slug)
    monitors = list(Monitor.objects.filter(project=project).order_by("slug"))
    for monitor in monitors:
        monitor.schedule_text = describe(monitor)
    return render(request, "monitors/monitor_list.html", {
        "project": project, "monitors": monitors, **_snippets(project, "my-job"),
    })  # fmt: skip


def timeline(rows) -> dict:
    """SVG bars, oldest first: height by duration (relative to the longest), colour by status."""
    longest = max((r.duration or 0 for r in rows), default=0) or 1
    bars = []
    for n, row in enumerate(rows):
        h = max(4, round(HEIGHT * (row.duration or 0) / longest)) if row.duration else 4
        if row.status in ("missed", "timeout", "error") and not row.duration:
            h = HEIGHT
        bars.append({"x": n * (BAR + GAP), "y": HEIGHT - h, "w": BAR, "h": h,
                     "fill": COLOURS.get(row.status, "#777"), "row": row})  # fmt: skip
    return {"bars": bars, "width": max(1, len(rows) * (BAR + GAP)), "height": HEIGHT}


@access.rule("viewer")
@login_required
@require_GET
def monitor_detail(request, org_slug, project_slug, slug):
    monitor = _monitor(request, org_slug, project_slug, slug)
    recent = list(monitor.checkins.order_by("-received", "-id")[:TIMELINE])
    return render(request, "monitors/monitor_detail.html", {
        "project": monitor.project, "monitor": monitor, "schedule_text": describe(monitor),
        "checkins": recent, "chart": timeline(list(reversed(recent))),
        **_snippets(monitor.project, monitor.slug),
    })  # fmt: skip


@access.rule("admin")
@login_required
def monitor_edit(request, org_slug, project_slug, slug):
    monitor = _monitor(request, org_slug, project_slug, slug, role="admin")
    form = MonitorForm(request.POST or None, instance=monitor)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            monitor = form.save(commit=False)
            checkins.schedule_from(monitor, monitor.last_checkin or datetime.now(UTC))
            monitor.save()
        messages.success(request, "Monitor saved.")
        return redirect("monitors:detail", org_slug, project_slug, slug)
    return render(request, "monitors/monitor_edit.html", {
        "project": monitor.project, "monitor": monitor, "form": form,
    })  # fmt: skip


@access.rule("member")
@login_required
@require_POST
def monitor_mute(request, org_slug, project_slug, slug):
    monitor = _monitor(request, org_slug, project_slug, slug, role="member")
    muted = request.POST.get("muted") == "1"
    Monitor.objects.filter(pk=monitor.pk).update(muted=muted)
    messages.success(request, f"Monitor {'muted' if muted else 'unmuted'}.")
    return redirect("monitors:detail", org_slug, project_slug, slug)


def _snippets(project, slug: str) -> dict:
    key = project.keys.filter(is_active=True).order_by("pk").first()
    if key is None:
        return {"key": None}
    dsn = key.dsn()
    base = dsn.replace(f"{key.public_key}@", "").rsplit("/", 1)[0]
    return {"key": key, "dsn": dsn,
            "cron_url": f"{base}/api/{project.pk}/cron/{slug}/{key.public_key}/"}  # fmt: skip
