"""Celery tasks: thin wrappers that decide retries."""

import logging

from celery import shared_task

from . import lifecycle
from .ingest import handoff
from .processing import drain

log = logging.getLogger(__name__)


# Beat asks for a drain every few seconds anyway, so a short retry chain is enough.
@shared_task(bind=True, acks_late=True, max_retries=5, ignore_result=True)
def process_ingest_queue(self) -> None:
    try:
        more = drain.drain()
    except drain.TRANSIENT as exc:
        # Nothing was acknowledged: the batch is read again after the visibility timeout.
        raise self.retry(exc=exc, countdown=min(60, 2 ** min(self.request.retries, 6))) from exc
    if more:
        process_ingest_queue.apply_async()


@shared_task(ignore_result=True)
def replay_spool() -> None:
    if replayed := handoff.replay_spool():
        log.info("replayed %d spooled payloads", replayed)
        process_ingest_queue.apply_async()


@shared_task(ignore_result=True)
def expire_events() -> None:
    """Retention: events (and monitor check-ins) past their project's days, in short batches
    (events/lifecycle.py)."""
    lifecycle.purge_deleted()  # any left by a lost task
    summary = lifecycle.expire()
    if summary.events or summary.issues or summary.others:
        log.info(
            "retention deleted %d events, %d issues, %s",
            summary.events, summary.issues, summary.others,
        )  # fmt: skip


@shared_task(ignore_result=True)
def purge_deleted() -> None:
    """Events of deleted issues and projects, in short batches (events/lifecycle.py)."""
    if n := lifecycle.purge_deleted():
        log.info("deleted %d events of deleted issues and projects", n)
