"""What /metrics and the status page read at the moment they are asked: the counters of
every process (multi-process mode) plus gauges of shared state (queue, spool, heartbeats)."""

from __future__ import annotations

import glob
import logging
import os
import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from aggregator import heartbeat, metrics
from events.ingest.handoff import QUEUE_ERRORS, get_spool
from events.queue import get_queue

log = logging.getLogger(__name__)


@dataclass
class Pipeline:
    depth: int | None  # None: the queue is unreachable
    oldest_age: float  # seconds; 0 when the queue is empty
    spool_payloads: int
    spool_bytes: int
    heartbeats: dict  # component -> age in seconds, or None


def pipeline(now: float | None = None) -> Pipeline:
    now = time.time() if now is None else now
    queue = get_queue()
    try:
        depth = queue.backlog()
        oldest = queue.oldest()
    except QUEUE_ERRORS:
        depth, oldest = None, None
    files = get_spool().files()
    size = 0
    for path in files:
        try:
            size += path.stat().st_size
        except FileNotFoundError:  # replayed meanwhile
            pass
    beats = {}
    for component in heartbeat.COMPONENTS:
        try:
            last = heartbeat.last(component)
        except Exception:
            last = None
        beats[component] = None if last is None else max(0.0, now - last)
    return Pipeline(
        depth=depth,
        oldest_age=max(0.0, now - oldest) if oldest else 0.0,
        spool_payloads=len(files),
        spool_bytes=size,
        heartbeats=beats,
    )


class PipelineCollector:
    def collect(self):
        state = pipeline()
        if state.depth is not None:
            yield GaugeMetricFamily(
                "aggregator_queue_depth", "Events in the ingest queue", value=state.depth
            )
            yield GaugeMetricFamily(
                "aggregator_queue_oldest_age_seconds",
                "Age of the oldest queued event (processing lag)",
                value=state.oldest_age,
            )
        yield GaugeMetricFamily(
            "aggregator_queue_up",
            "Whether the ingest queue answered",
            value=int(state.depth is not None),
        )
        yield GaugeMetricFamily(
            "aggregator_spool_payloads",
            "Payloads spooled on local disk",
            value=state.spool_payloads,
        )
        yield GaugeMetricFamily(
            "aggregator_spool_bytes", "Size of the local spool", value=state.spool_bytes
        )
        beats = GaugeMetricFamily(
            "aggregator_heartbeat_age_seconds",
            "Seconds since the worker last drained / beat last ticked",
            labels=["component"],
        )
        for component, age in state.heartbeats.items():
            if age is not None:
                beats.add_metric([component], age)
        yield beats


class _Collector(multiprocess.MultiProcessCollector):
    """Every process's metric files, but a file a process has just created and not yet
    sized: reading it raised (and the scrape answered 500); it holds nothing counted."""

    def collect(self):
        files = [f for f in glob.glob(os.path.join(self._path, "*.db")) if _sized(f)]
        return self.merge(files, accumulate=True)


def _sized(path: str) -> bool:
    try:
        return os.path.getsize(path) >= 8
    except OSError:  # the process's file went away meanwhile
        return False


def _process_registry() -> CollectorRegistry:
    """Every process's metric files (METRICS_DIR), and this process's own metrics."""
    metrics.ensure()
    reg = CollectorRegistry()
    _Collector(reg, path=os.environ["PROMETHEUS_MULTIPROC_DIR"])
    return reg


def registry() -> CollectorRegistry:
    reg = _process_registry()
    reg.register(PipelineCollector())
    return reg


def exposition() -> bytes:
    return generate_latest(registry())


def process_samples():
    """Every sample of every process's metric files, merged (counters added up)."""
    for family in _process_registry().collect():
        yield from family.samples


def counter_totals() -> dict[str, dict[tuple, float]]:
    """Every process's counters added up: metric name -> {label values: value}."""
    totals: dict[str, dict[tuple, float]] = {}
    for sample in process_samples():
        if sample.name.endswith("_total"):
            labels = tuple(sorted(sample.labels.items()))
            totals.setdefault(sample.name, {})[labels] = sample.value
    return totals


__all__ = [
    "Pipeline",
    "counter_totals",
    "exposition",
    "metrics",
    "pipeline",
    "process_samples",
    "registry",
]
