"""Handing an accepted payload to the workers: the queue, or the local spool when the
queue is away, plus the backlog bound that keeps ingest from starving processing."""

import logging
import sqlite3
import threading
import time
from functools import cache

import redis
from celery import current_app
from django.conf import settings

from events.queue import QueuedPayload, get_queue
from events.queue.spool import Spool
from events.wire.refusal import Refusal

log = logging.getLogger(__name__)
QUEUE_ERRORS = (redis.RedisError, sqlite3.Error, OSError)


def overloaded(retry_after: int) -> Refusal:
    """The backlog is past its bound, or the queue and the spool are both unusable."""
    return Refusal("overloaded", "too many events queued; try again later", retry_after=retry_after)


@cache
def get_spool() -> Spool:
    return Spool(settings.DATA_DIR / "spool")


class _State:
    backlog = 0
    backlog_checked = 0.0
    spool_checked = 0.0
    spool_size = 0
    spool_counted = 0.0
    replaying = threading.Lock()


def _check_backlog(queue) -> None:
    """Refuse when the backlog is past INGEST_MAX_BACKLOG (checked at most twice a second)."""
    now = time.monotonic()
    if now - _State.backlog_checked > 0.5:
        _State.backlog_checked = now
        try:
            _State.backlog = queue.backlog()
        except QUEUE_ERRORS:
            _State.backlog = 0  # the queue is away; the spool bound applies instead
    if _State.backlog > settings.INGEST_MAX_BACKLOG:
        raise overloaded(retry_after=10)


def _spool_full(spool: Spool) -> bool:
    """Whether the spool holds INGEST_MAX_SPOOL payloads (counted at most once a second)."""
    now = time.monotonic()
    if now - _State.spool_counted > 1.0:
        _State.spool_counted = now
        _State.spool_size = len(spool)
    _State.spool_size += 1
    return _State.spool_size > settings.INGEST_MAX_SPOOL


def replay_spool(limit: int | None = None) -> int:
    """Push spooled payloads into the queue; one replayer per process at a time."""
    if not _State.replaying.acquire(blocking=False):
        return 0
    try:
        return get_spool().replay(get_queue().push, limit)
    except QUEUE_ERRORS:
        return 0
    finally:
        _State.replaying.release()


def _replay_soon() -> None:
    """After a successful push, replay what this host spooled during an outage (in the
    background, at most once a second per process)."""
    now = time.monotonic()
    if now - _State.spool_checked < 1.0:
        return
    _State.spool_checked = now
    if get_spool().files():
        threading.Thread(target=replay_spool, daemon=True).start()


def _spool(payload: QueuedPayload) -> None:
    log.warning("ingest queue unavailable; spooling event %s", payload.event_id)
    spool = get_spool()
    if _spool_full(spool):
        raise overloaded(retry_after=30)
    try:
        spool.append(payload)
    except OSError:
        log.exception("could not spool event %s", payload.event_id)
        raise overloaded(retry_after=30) from None


def hand_off(payload: QueuedPayload) -> None:
    queue = get_queue()
    _check_backlog(queue)
    try:
        queue.push(payload)
    except QUEUE_ERRORS:
        _spool(payload)
        return
    _replay_soon()
    request_drain()


def hand_off_many(payloads: list[QueuedPayload]) -> None:
    """hand_off for a batch (the UDP listener): one push, one backlog check, one drain request."""
    queue = get_queue()
    _check_backlog(queue)
    try:
        queue.push_many(payloads)
    except QUEUE_ERRORS:
        for payload in payloads:
            _spool(payload)
        return
    _replay_soon()
    request_drain()


class _Drain:
    last_request = 0.0  # when this process last asked for a drain


def request_drain(min_interval: float = 0.5) -> None:
    """Ask a worker to drain soon; at most one request per process per interval, so the
    cost of a Celery message is spread over many ingested events. A request skipped here is
    covered by the running drain, which lingers `min_interval` on an empty queue before it
    ends (events/processing/drain.py)."""
    if not settings.INGEST_AUTO_DRAIN:
        return
    now = time.monotonic()
    if now - _Drain.last_request < min_interval:
        return
    _Drain.last_request = now
    try:
        current_app.send_task("events.tasks.process_ingest_queue", retry=False)
    except Exception:  # the broker is away: beat or the next request catches up
        log.warning("could not request a drain", exc_info=True)
