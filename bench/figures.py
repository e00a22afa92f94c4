"""The benchmark's pure helpers: statistics, the issue check, profile summaries."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_or_none(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    median = statistics.median(values)  # an even count averages the middle two
    if all(isinstance(v, int) for v in values) and median == int(median):
        return int(median)
    return round(median, 2)


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (t, y) points: how fast the backlog grows, per second."""
    if len(points) < 2:
        return None
    n = len(points)
    mt = sum(t for t, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    if var == 0:
        return None
    return sum((t - mt) * (y - my) for t, y in points) / var


def downsample(series: list, max_points: int) -> list:
    """At most max_points items, evenly spread, always keeping the first and the last."""
    if len(series) <= max_points:
        return list(series)
    step = (len(series) - 1) / (max_points - 1)
    return [series[round(i * step)] for i in range(max_points)]


def expected_group_counts(n: int, groups: int) -> list[int]:
    """Events per group when event i belongs to group i % groups (as loadgen builds them)."""
    return [n // groups + (1 if g < n % groups else 0) for g in range(groups)]


GROUP_RE = re.compile(r"BenchGroup(\d{3})Error")


def check_issues(issues: list[tuple[str, int]], accepted_by_group: list[int]) -> list[str]:
    """Problems with the formed issues: (title, times_seen) against what was accepted."""
    problems = []
    seen: Counter = Counter()
    for title, times_seen in issues:
        match = GROUP_RE.search(title)
        if not match:
            problems.append(f"unexpected issue {title!r} ({times_seen} events)")
            continue
        group = int(match.group(1))
        seen[group] += 1
        expected = accepted_by_group[group] if group < len(accepted_by_group) else 0
        if times_seen != expected:
            problems.append(f"{title!r}: times_seen {times_seen}, accepted {expected}")
    for group, count in sorted(seen.items()):
        if count > 1:
            problems.append(f"group {group} split into {count} issues")
    missing = [g for g, n in enumerate(accepted_by_group) if n and g not in seen]
    if missing:
        problems.append(f"no issue for {len(missing)} group(s), e.g. {missing[:5]}")
    return problems


def summarize_collapsed(lines, top: int = 15) -> dict:
    """Top functions of a py-spy "raw" (collapsed stacks) profile: own and total samples."""
    own: Counter = Counter()
    total: Counter = Counter()
    samples = 0
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short_frame(f) for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    pct = (lambda n: round(100 * n / samples, 1)) if samples else (lambda n: 0.0)
    return {
        "samples": samples,
        "own": [(f, pct(n)) for f, n in own.most_common(top)],
        "total": [(f, pct(n)) for f, n in total.most_common(top * 2)],
    }


def _short_frame(frame: str) -> str:
    """'store.py:store_batch' from 'store_batch (events/processing/store.py:212)'."""
    match = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame.strip())
    if not match:
        return frame.strip()
    function, path = match.groups()
    path = path.split("site-packages/")[-1].split(str(ROOT) + "/")[-1]
    return f"{path}:{function}"


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * q // 100))  # ceil
    return sorted_values[min(len(sorted_values), int(rank)) - 1]


def latency_summary(values: list[float]) -> dict:
    ordered = sorted(values)
    ms = {f"p{q}": percentile(ordered, q) for q in (50, 95, 99)}
    ms["max"] = ordered[-1] if ordered else None
    ms["mean"] = sum(ordered) / len(ordered) if ordered else None
    return {k: (round(v * 1000, 2) if v is not None else None) for k, v in ms.items()}
