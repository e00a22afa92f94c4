"""Small charts as inline SVG: bucketing counts and laying out shapes. Pure functions.

Templates draw the returned numbers (`_sparkline.html`, `_bar_chart.html`); nothing here
touches the database or builds markup, so there is nothing to escape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


def floor_hour(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def hourly_buckets(counts: dict[datetime, int], *, end: datetime, hours: int) -> list[tuple]:
    """[(hour start, count)] for the `hours` hours up to and including end's hour."""
    last = floor_hour(end)
    return [
        (h, counts.get(h, 0)) for h in (last - timedelta(hours=n) for n in range(hours - 1, -1, -1))
    ]


def daily_buckets(counts: dict[datetime, int], *, end: datetime, days: int) -> list[tuple]:
    """[(day start, count)] for `days` days up to end's day, from hourly counts."""
    per_day: dict[datetime, int] = {}
    for hour, n in counts.items():
        day = hour.replace(hour=0, minute=0, second=0, microsecond=0)
        per_day[day] = per_day.get(day, 0) + n
    last = end.replace(hour=0, minute=0, second=0, microsecond=0)
    return [
        (d, per_day.get(d, 0)) for d in (last - timedelta(days=n) for n in range(days - 1, -1, -1))
    ]


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    line: str  # polyline points
    area: str  # polygon points (the line closed along the bottom)
    total: int
    peak: int


def sparkline(values: list[int], *, width: int = 96, height: int = 24) -> Sparkline:
    peak = max(values, default=0)
    n = len(values)
    if n == 0:
        return Sparkline(width, height, "", "", 0, 0)
    step = width / max(n - 1, 1)
    usable = height - 2  # keep a 1px margin so the stroke is not clipped

    def y(v: int) -> float:
        return round(height - 1 - (usable * v / peak if peak else 0), 1)

    points = [(round(i * step, 1), y(v)) for i, v in enumerate(values)]
    line = " ".join(f"{x},{yy}" for x, yy in points)
    area = f"0,{height} {line} {points[-1][0]},{height}"
    return Sparkline(width, height, line, area, sum(values), peak)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    start: datetime
    count: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    peak: int
    total: int

    def ticks(self, count: int = 5) -> list[datetime]:
        """Start times of evenly spaced bars, first and last included: the time axis."""
        n = len(self.bars)
        if n == 0:
            return []
        picks = sorted({round(i * (n - 1) / (count - 1)) for i in range(count)}) if n > 1 else [0]
        return [self.bars[i].start for i in picks]

    @property
    def middle(self) -> int:
        """The count halfway up the axis (a whole number, or 0 when the peak is 1)."""
        return self.peak // 2


def bar_chart(
    buckets: list[tuple[datetime, int]], *, width: int = 720, height: int = 120
) -> BarChart:
    peak = max((c for _, c in buckets), default=0)
    n = len(buckets) or 1
    slot = width / n
    gap = min(2.0, slot * 0.2)
    bars = []
    for i, (start, count) in enumerate(buckets):
        h = round((height - 1) * count / peak, 1) if peak else 0
        if count and h < 1:
            h = 1.0  # a non-zero bucket is always visible
        bars.append(
            Bar(round(i * slot, 1), round(height - h, 1), round(slot - gap, 1), h, start, count)
        )
    return BarChart(width, height, bars, peak, sum(c for _, c in buckets))
