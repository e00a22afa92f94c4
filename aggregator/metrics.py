"""Prometheus metrics shared by every process (web, worker, beat, UDP listener).

prometheus-client in its multi-process mode: each process writes its counters to small
memory-mapped files in METRICS_DIR and `/metrics` (ops/views.py) adds up all the files, so
every granian and Celery process is counted. Files are named by host and pid, so several
containers may share one DATA_DIR volume. Gauges that describe shared state (queue depth,
lag, spool, heartbeats) are read when scraped (ops/collect.py), not kept per process.

The edge calls `ingest_observed` once per request: a few dict updates under a lock, which a
thread moves into the shared files once a second (bench/edge.py measures the hook).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time
from bisect import bisect_left

from django.conf import settings

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


log = logging.getLogger(__name__)
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_made = threading.Lock()


def ensure() -> None:
    """Make the metrics (and METRICS_DIR, and this process's files) on first use, not at
    import: importing the app writes nothing (tests/aggregator/test_settings.py)."""
    if "EVENTS_RECEIVED" in globals():
        return
    with _made:
        if "EVENTS_RECEIVED" not in globals():
            globals().update(_make())


def _make() -> dict:
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.METRICS_DIR))
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    from prometheus_client import Counter, Histogram, values

    values.ValueClass = values.MultiProcessValue(process_identifier=_identifier)
    return {
        "EVENTS_RECEIVED": Counter(
            "aggregator_events_received", "Events accepted at the edge", ["protocol"]
        ),
        "EVENTS_REFUSED": Counter(
            "aggregator_events_refused", "Requests refused at the edge", ["protocol", "reason"]
        ),
        "INGEST_LATENCY": Histogram(
            "aggregator_ingest_duration_seconds",
            "Time from a request's arrival at the edge to its answer",
            ["protocol"],
            buckets=LATENCY_BUCKETS,
        ),
        "EVENTS_STORED": Counter("aggregator_events_stored", "Events written to the database"),
        "BATCH_SIZE": Histogram(
            "aggregator_batch_events",
            "Messages per batch read from the ingest queue",
            buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000),
        ),
        "BATCH_DURATION": Histogram(
            "aggregator_batch_duration_seconds",
            "Time to store one batch (transaction and acknowledgement)",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        ),
        "FAILED_PAYLOADS": Counter(
            "aggregator_failed_payloads",
            "Payloads the pipeline could not store (kept for replay)",
        ),
        "REPLAYED_PAYLOADS": Counter(
            "aggregator_replayed_payloads", "Failed payloads queued again by replayfailed"
        ),
        "DELIVERIES": Counter(
            "aggregator_notification_deliveries",
            "Notification deliveries by channel and final status",
            ["channel", "status"],
        ),
        "DIGESTS_SENT": Counter("aggregator_digests_sent", "Email digests sent"),
    }


_METRICS = {
    "EVENTS_RECEIVED", "EVENTS_REFUSED", "INGEST_LATENCY", "EVENTS_STORED", "BATCH_SIZE",
    "BATCH_DURATION", "FAILED_PAYLOADS", "REPLAYED_PAYLOADS", "DELIVERIES", "DIGESTS_SENT",
}  # fmt: skip


def __getattr__(name: str):
    """`metrics.EVENTS_STORED` and the others, made on first use."""
    if name in _METRICS:
        ensure()
        return globals()[name]
    raise AttributeError(name)


# --- The edge: a tally per process, flushed into the metrics above once a second.
# prometheus-client's increments (a lock, a fork check, a memory-mapped write each) cost
# ~3 µs of CPU for a request's counter and histogram, most of the edge's 5 µs budget. A
# request adds to plain dicts under one lock instead, and a daemon thread moves the sums into
# the shared files, so a scrape sees them at most FLUSH_EVERY seconds late.
FLUSH_EVERY = 1.0
_LATENCY_BOUNDS = [*map(float, LATENCY_BUCKETS), float("inf")]  # the histogram's le bounds
_lock = threading.Lock()
_counts: dict = {}  # (protocol, reason or None) -> events
_latency: dict = {}  # protocol -> [sum of seconds, count per bucket...]
_flusher: list = [None]  # this process's flushing thread, once started


def ingest_observed(protocol: str, reason: str | None, seconds: float, events: int = 1) -> None:
    """One answered request: accepted (`reason` None, `events` counted) or refused."""
    bucket = bisect_left(_LATENCY_BOUNDS, seconds) + 1
    key = (protocol, reason)
    with _lock:
        _counts[key] = _counts.get(key, 0) + events
        tally = _latency.get(protocol)
        if tally is None:
            tally = _latency[protocol] = [0.0] * (len(_LATENCY_BOUNDS) + 1)
        tally[0] += seconds
        tally[bucket] += 1
    if _flusher[0] is None:
        _start_flusher()


def ingest_counted(protocol: str, reason: str | None, events: int = 1) -> None:
    """Events accepted (`reason` None) or refused, without a latency (UDP has no answer)."""
    key = (protocol, reason)
    with _lock:
        _counts[key] = _counts.get(key, 0) + events
    if _flusher[0] is None:
        _start_flusher()


def flush() -> None:
    """Move this process's tally into the shared metrics (the flusher calls it; tests may)."""
    global _counts, _latency
    with _lock:
        counts, latency = _counts, _latency
        _counts, _latency = {}, {}
    if not counts:
        return
    ensure()
    made = globals()
    for (protocol, reason), n in counts.items():
        if reason is None:
            made["EVENTS_RECEIVED"].labels(protocol).inc(n)
        else:
            made["EVENTS_REFUSED"].labels(protocol, reason).inc(n)
    for protocol, tally in latency.items():
        child = made["INGEST_LATENCY"].labels(protocol)
        child._sum.inc(tally[0])  # the library's own values: an observe() per request is dear
        for value, n in zip(child._buckets, tally[1:], strict=True):
            if n:
                value.inc(n)


def _flush_forever() -> None:
    while True:
        time.sleep(FLUSH_EVERY)
        try:
            flush()
        except Exception:  # a full disk, say: keep serving, try again
            log.warning("could not flush the edge's metrics", exc_info=True)


def _start_flusher() -> None:
    with _lock:
        if _flusher[0] is not None:
            return
        _flusher[0] = threading.Thread(target=_flush_forever, name="metrics-flush", daemon=True)
    _flusher[0].start()


def _after_fork() -> None:
    # The parent's thread does not exist here, and its tally is the parent's to flush.
    global _counts, _latency, _lock
    _lock = threading.Lock()
    _counts, _latency = {}, {}
    _flusher[0] = None


os.register_at_fork(after_in_child=_after_fork)
atexit.register(flush)
