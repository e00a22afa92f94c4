"""Celery tasks: thin wrappers that decide retries."""

import logging
import time

from celery import shared_task
from django.conf import settings

from . import drain

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def process_ingest_queue(self) -> None:
    try:
        more = drain.drain()
    except drain.TRANSIENT as exc:
        # Nothing was acknowledged: the batch is read again after the visibility timeout.
        raise self.retry(exc=exc, countdown=min(60, 2 ** min(self.request.retries, 6))) from exc
    if more:
        process_ingest_queue.apply_async()


_last_request = 0.0


def request_drain(min_interval: float = 0.5) -> None:
    """Ask a worker to drain soon; at most one request per process per interval, so the
    cost of building a Celery message is spread over many ingested events."""
    global _last_request
    if not settings.INGEST_AUTO_DRAIN:
        return
    now = time.monotonic()
    if now - _last_request < min_interval:
        return
    _last_request = now
    try:
        process_ingest_queue.apply_async(retry=False)
    except Exception:  # the broker is away: beat or the next request will catch up
        log.warning("could not request a drain", exc_info=True)
