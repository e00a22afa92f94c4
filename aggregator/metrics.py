"""Prometheus metrics shared by every process (web, worker, beat, UDP listener).

prometheus-client in its multi-process mode: each process writes its counters to small
memory-mapped files in METRICS_DIR and `/metrics` (ops/views.py) adds up all the files, so
every granian and Celery process is counted. Files are named by host and pid, so several
containers may share one DATA_DIR volume. Gauges that describe shared state (queue depth,
lag, spool, heartbeats) are read when scraped (ops/collect.py), not kept per process.

The edge calls `ingest_observed` once per request: pre-bound children, three increments of
a memory-mapped value (bench/edge.py --metrics measures it).
"""

from __future__ import annotations

import os
import socket

from django.conf import settings

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.METRICS_DIR))
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import Counter, Histogram, values  # noqa: E402  (after the env var)

# "<host>-<pid>" instead of the pid: containers sharing the volume have the same pids.
# No "_" in it: the collector splits file names on "_".
_HOST = socket.gethostname().replace("_", "-")
_ident = [f"{_HOST}-{os.getpid()}"]


def _forked() -> None:
    _ident[0] = f"{_HOST}-{os.getpid()}"


# The library asks for the identifier on every increment, to notice a fork: kept current
# by a fork hook instead of a getpid() system call per increment.
os.register_at_fork(after_in_child=_forked)


def _identifier() -> str:
    return _ident[0]


values.ValueClass = values.MultiProcessValue(process_identifier=_identifier)

EVENTS_RECEIVED = Counter("aggregator_events_received", "Events accepted at the edge", ["protocol"])
EVENTS_REFUSED = Counter(
    "aggregator_events_refused", "Requests refused at the edge", ["protocol", "reason"]
)
INGEST_LATENCY = Histogram(
    "aggregator_ingest_duration_seconds",
    "Time from a request's arrival at the edge to its answer",
    ["protocol"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
EVENTS_STORED = Counter("aggregator_events_stored", "Events written to the database")
BATCH_SIZE = Histogram(
    "aggregator_batch_events",
    "Messages per batch read from the ingest queue",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000),
)
BATCH_DURATION = Histogram(
    "aggregator_batch_duration_seconds",
    "Time to store one batch (transaction and acknowledgement)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
FAILED_PAYLOADS = Counter(
    "aggregator_failed_payloads", "Payloads the pipeline could not store (kept for replay)"
)
REPLAYED_PAYLOADS = Counter(
    "aggregator_replayed_payloads", "Failed payloads queued again by replayfailed"
)
DELIVERIES = Counter(
    "aggregator_notification_deliveries",
    "Notification deliveries by channel and final status",
    ["channel", "status"],
)
DIGESTS_SENT = Counter("aggregator_digests_sent", "Email digests sent")

_received: dict = {}
_refused: dict = {}
_latency: dict = {}


def ingest_observed(protocol: str, reason: str | None, seconds: float, events: int = 1) -> None:
    """One answered request: accepted (`reason` None, `events` counted) or refused."""
    ingest_counted(protocol, reason, events)
    hist = _latency.get(protocol) or _latency.setdefault(protocol, INGEST_LATENCY.labels(protocol))
    hist.observe(seconds)


def ingest_counted(protocol: str, reason: str | None, events: int = 1) -> None:
    """Events accepted (`reason` None) or refused, without a latency (UDP has no answer)."""
    if reason is None:
        child = _received.get(protocol) or _received.setdefault(
            protocol, EVENTS_RECEIVED.labels(protocol)
        )
        child.inc(events)
    else:
        key = (protocol, reason)
        child = _refused.get(key) or _refused.setdefault(key, EVENTS_REFUSED.labels(*key))
        child.inc(events)
