"""The issue page's source-map note (events/dashboard/panels.py): the latest event had frames
no upload matched, and an upload since would map them."""

from __future__ import annotations

from events.dashboard.panels import Panel

from . import reprocess


def issue_panel(request, issue) -> Panel | None:
    if not issue.project.platform.startswith(("javascript", "node")):
        return None  # no query for the issue pages of other platforms
    event = issue.events.order_by("-timestamp").only("data", "project_id").first()
    if event is None:
        return None
    late = reprocess.arrived_late(event.data, issue.project_id)
    if not late:
        return None
    return Panel("Source maps", "sourcemaps/_arrived_late.html",
                 {"frames": late, "issue_id": issue.pk})  # fmt: skip
