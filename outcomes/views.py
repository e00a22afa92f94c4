"""The project stats page: what became of the events that arrived, with the reasons."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from projects import access

from . import charts, stats
from .models import Outcome

# span -> (statsPeriod, interval, date format of a bucket)
SPANS = {"24h": ("24h", "1h", "Y-m-d H:00"), "14d": ("14d", "1d", "Y-m-d"),
         "90d": ("90d", "1d", "Y-m-d")}  # fmt: skip


@access.rule("viewer")
@login_required
def project_stats(request, org_slug, project_slug):
    project = access.project_or_404(request.user, org_slug, project_slug)
    span = request.GET.get("span") if request.GET.get("span") in SPANS else "24h"
    period, interval, fmt = SPANS[span]
    by_outcome = stats.run(
        stats.Query.build(period=period, interval=interval, group_by=("outcome",)), [project.id]
    )
    intervals = [stats.parse_time(t, "interval") for t in by_outcome["intervals"]]
    series = {g["by"]["outcome"]: g["series"]["sum(quantity)"] for g in by_outcome["groups"]}
    reasons = stats.run(
        stats.Query.build(
            period=period, interval=interval, group_by=("outcome", "category", "reason")
        ),
        [project.id],
    )
    labels = dict(Outcome.choices)
    rows = sorted(
        (
            (labels.get(g["by"]["outcome"], g["by"]["outcome"]), g["by"]["category"],
             g["by"]["reason"], g["totals"]["sum(quantity)"])
            for g in reasons["groups"] if g["totals"]["sum(quantity)"]
        ),
        key=lambda row: (-row[3], row[:3]),
    )  # fmt: skip
    legend = [(labels[o], charts.COLORS[o], sum(series.get(o, []))) for o in charts.ORDER]
    return render(request, "outcomes/project_stats.html", {
        "project": project, "span": span, "fmt": fmt, "spans": list(SPANS),
        "chart": charts.stacked_chart(intervals, series), "legend": legend, "rows": rows,
        "total": sum(n for _, _, n in legend),
    })  # fmt: skip
