"""The stats page's stacked bar chart as numbers for an inline SVG. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import Outcome

ORDER = [o.value for o in Outcome]  # bottom to top
COLORS = {
    "accepted": "#2e7d32", "filtered": "#b26a00", "rate_limited": "#c62828",
    "invalid": "#6b7280", "client_discard": "#5b74d6",
}  # fmt: skip


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    w: float
    h: float
    outcome: str
    count: int
    color: str


@dataclass(frozen=True)
class Column:
    start: datetime
    total: int
    segments: list[Segment]


@dataclass(frozen=True)
class StackedChart:
    width: int
    height: int
    columns: list[Column]
    peak: int


def stacked_chart(
    intervals: list[datetime], series: dict[str, list[int]], *, width=720, height=160
) -> StackedChart:
    """`series`: outcome -> counts per interval. Each column stacks the outcomes in ORDER."""
    n = len(intervals) or 1
    totals = [sum(series.get(o, [0] * n)[i] for o in ORDER) for i in range(len(intervals))]
    peak = max(totals, default=0)
    slot = width / n
    gap = min(2.0, slot * 0.2)
    columns = []
    for i, start in enumerate(intervals):
        y = float(height)
        segments = []
        for outcome in ORDER:
            count = series.get(outcome, [0] * n)[i]
            if not count:
                continue
            h = max(1.0, round((height - 1) * count / peak, 1))
            y = round(y - h, 1)
            segments.append(
                Segment(round(i * slot, 1), y, round(slot - gap, 1), h, outcome, count,
                        COLORS[outcome])
            )  # fmt: skip
        columns.append(Column(start, totals[i], segments))
    return StackedChart(width, height, columns, peak)
