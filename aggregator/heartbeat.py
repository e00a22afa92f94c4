"""Heartbeats: when the worker last drained and when beat last ticked.

Readiness, the status page and /metrics read them. They live where every process can see
them without the database: Redis when it is configured (several machines), else a file
per component under DATA_DIR/heartbeats (one machine). Writes are throttled per process.
"""

from __future__ import annotations

import os
import time
from functools import cache

import redis
from django.conf import settings

COMPONENTS = ("worker", "beat")
WRITE_EVERY = 1.0  # seconds; at most one write per component per process
_KEY = "aggregator:heartbeat:"
_written: dict[str, float] = {}


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def _dir():
    return settings.DATA_DIR / "heartbeats"


def beat(component: str) -> None:
    """Record that `component` is alive now; never raises (a heartbeat must not break work)."""
    now = time.time()
    if now - _written.get(component, 0.0) < WRITE_EVERY:
        return
    _written[component] = now
    try:
        if settings.REDIS_URL:
            _redis(settings.REDIS_URL).set(_KEY + component, repr(now), ex=86400)
        else:
            path = _dir() / component
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}")
            tmp.write_text(repr(now))
            os.replace(tmp, path)
    except (redis.RedisError, OSError):
        pass


def last(component: str) -> float | None:
    """When `component` last reported (epoch seconds), None if never; raises when the
    store is unreachable."""
    if settings.REDIS_URL:
        value = _redis(settings.REDIS_URL).get(_KEY + component)
        return float(value) if value else None
    try:
        return float((_dir() / component).read_text())
    except FileNotFoundError:
        return None
