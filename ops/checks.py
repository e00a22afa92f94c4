"""Readiness checks: database, ingest queue, broker, spool, and the heartbeats.

Each check returns a `Check` with its status and how long it took. The database is the one
check that does not make the web process unready: ingest keeps accepting without it (keys
from the cache, events to the queue), so a load balancer should keep sending events; the
answer says `"ingest": "accepting"` and `"status": "degraded"`. Heartbeats are reported,
never fatal: a stopped worker does not stop the web process from accepting.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass

from celery import current_app
from django.conf import settings
from django.db import connections

from aggregator import heartbeat
from events.ingest.handoff import get_spool
from events.queue import get_queue

HEARTBEAT_STALE = 30.0  # seconds; beat asks for a drain every 2 s, so the worker drains
NOT_FATAL = {"database"}


@dataclass
class Check:
    status: str  # "ok" or "fail"
    time_ms: float
    error: str = ""


def _timed(fn) -> Check:
    started = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # any failure is this check's answer, never a 500
        ms = (time.perf_counter() - started) * 1000
        return Check("fail", round(ms, 2), f"{type(exc).__name__}: {exc}"[:300])
    return Check("ok", round((time.perf_counter() - started) * 1000, 2))


def _database() -> None:
    conn = connections["default"]
    try:
        conn.ensure_connection()
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        conn.close_if_unusable_or_obsolete()
        conn.close()
        raise


def _queue() -> None:
    get_queue().backlog()


def _probe_folder(folder) -> None:
    """Write, read back and delete a small file."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f".ready-{os.getpid()}")
    with open(path, "wb") as f:
        f.write(b"ok")
    os.unlink(path)


def _broker() -> None:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if "data_folder_in" in options:  # the folder broker of the embedded default
        _probe_folder(options["data_folder_in"])
        return
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


def _spool() -> None:
    _probe_folder(get_spool().tmp)


CHECKS = {"database": _database, "queue": _queue, "broker": _broker, "spool": _spool}


def heartbeats(now: float | None = None) -> dict:
    now = time.time() if now is None else now
    result = {}
    for component in heartbeat.COMPONENTS:
        try:
            last = heartbeat.last(component)
        except Exception as exc:
            result[component] = {"status": "unknown", "error": f"{type(exc).__name__}: {exc}"}
            continue
        if last is None:
            result[component] = {"status": "never", "age_seconds": None}
            continue
        age = max(0.0, now - last)
        status = "ok" if age <= HEARTBEAT_STALE else "stale"
        result[component] = {"status": status, "age_seconds": round(age, 1)}
    return result


def readiness() -> tuple[int, dict]:
    """(HTTP status, body) of /-/ready/."""
    checks = {name: _timed(fn) for name, fn in CHECKS.items()}
    failed = {name for name, check in checks.items() if check.status != "ok"}
    fatal = failed - NOT_FATAL
    status = "fail" if fatal else ("degraded" if failed else "ok")
    body = {
        "status": status,
        # The edge needs the queue or a writable spool, and no database.
        "ingest": "accepting" if not {"queue", "spool"} <= failed else "refusing",
        "checks": {name: asdict(check) for name, check in checks.items()},
        "heartbeats": heartbeats(),
    }
    return (503 if fatal else 200), body
