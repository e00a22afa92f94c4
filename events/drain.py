"""Draining the ingest queue in batches: read, prepare, store in one transaction, ack.

Acknowledging only after the commit gives at-least-once delivery; unique event ids make
storage exactly once. A payload our code cannot store is kept as a FailedPayload and
acknowledged, so one bad message never blocks the queue. Database errors propagate: the
batch stays unacknowledged and is read again after the visibility timeout.
"""

import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

from projects.models import Project

from . import digest, protocol, signals
from .models import FailedPayload
from .queue import Message, get_queue

log = logging.getLogger(__name__)


def _keep_failed(message: Message, reason: str) -> None:
    payload = message.payload
    FailedPayload.objects.create(
        project_id=payload.project_id if payload else None,
        reason=reason[:2000],
        meta=message.raw_meta,
        body=payload.body if payload else b"",
    )


def _prepare_all(messages: list[Message]) -> tuple[list[digest.PreparedEvent], list[tuple]]:
    """Pure work, done before the transaction so write locks are held only for writing."""
    prepared, failed = [], []
    # A project deleted while its events were queued: its rows would break the batch's
    # foreign keys at COMMIT, and the redelivered batch again, blocking the queue for good.
    wanted = {m.payload.project_id for m in messages if m.payload is not None}
    live = set(Project.objects.filter(id__in=wanted).values_list("id", flat=True))
    for message in messages:
        if message.payload is None:
            failed.append((message, "undecodable queue message"))
            continue
        if message.payload.project_id not in live:
            failed.append((message, f"project {message.payload.project_id} no longer exists"))
            continue
        try:
            prepared.append(digest.prepare(message.payload))
        except protocol.ProtocolError as exc:
            failed.append((message, f"invalid payload: {exc.detail}"))
        except Exception as exc:  # a bug of ours on valid input: keep the payload, go on
            log.exception("could not prepare event %s", message.payload.event_id)
            failed.append((message, f"{type(exc).__name__}: {exc}"))
    return prepared, failed


# Longer than the edge's interval between drain requests (events/handoff.py).
DRAIN_LINGER = 0.6
LINGER_POLL = 0.1

# Errors that say nothing about the data: the database is away, busy or deadlocked.
TRANSIENT = (OperationalError, InterfaceError)


def _store(prepared: list[digest.PreparedEvent]) -> list[digest.Outcome]:
    try:
        return digest.store_batch(prepared)
    except TRANSIENT:
        raise
    except Exception:
        # Something in the batch trips a bug: store one by one so the rest still lands.
        log.exception("batch store failed; retrying events one by one")
        outcomes = []
        for event in prepared:
            try:
                outcomes.extend(digest.store_batch([event]))
            except TRANSIENT:
                raise
            except Exception as exc:
                log.exception("could not store event %s", event.event_id)
                FailedPayload.objects.create(
                    project_id=event.project_id, reason=f"{type(exc).__name__}: {exc}",
                    meta=b"", body=digest.orjson.dumps(event.data),
                )  # fmt: skip
        return outcomes


def _emit(outcomes: list[digest.Outcome]) -> None:
    """After commit and ack: a failing receiver (say, a broker hiccup while it queues a
    notification) is logged and never undoes or repeats the stored batch."""
    sent = []
    for outcome in outcomes:
        kwargs = {"issue_id": outcome.issue_id, "project_id": outcome.project_id}
        if outcome.created:
            sent += signals.issue_created.send_robust(sender=digest.Outcome, **kwargs)
        elif outcome.regressed:
            sent += signals.issue_regressed.send_robust(sender=digest.Outcome, **kwargs)
        elif outcome.unignored:
            sent += signals.issue_unignored.send_robust(sender=digest.Outcome, **kwargs)
    if outcomes:
        sent += signals.batch_stored.send_robust(sender=digest.Outcome, outcomes=outcomes)
    for receiver, result in sent:
        if isinstance(result, Exception):
            log.error("signal receiver %r failed", receiver, exc_info=result)


def process_batch(batch_size: int | None = None) -> int:
    """Read one batch, store it, ack it. Returns how many messages were read."""
    queue = get_queue()
    messages = queue.read(
        batch_size or settings.INGEST_BATCH_SIZE, settings.INGEST_VISIBILITY_TIMEOUT
    )
    if not messages:
        return 0
    prepared, failed = _prepare_all(messages)
    with transaction.atomic():
        for message, reason in failed:
            _keep_failed(message, reason)
        outcomes = _store(prepared)
    queue.ack([m.id for m in messages])
    _emit(outcomes)
    return len(messages)


def drain(time_budget: float = 10.0, linger: float = DRAIN_LINGER) -> bool:
    """Process batches until the queue is empty or the budget is spent; True if more remain.

    On an empty queue it looks again for `linger` seconds before it ends: the edge asks for
    at most one drain per process per half second, so an event pushed just after the last
    read would otherwise wait for beat's safety-net drain."""
    deadline = time.monotonic() + time_budget
    empty_since = None
    while time.monotonic() < deadline:
        if process_batch() > 0:
            empty_since = None
            continue
        now = time.monotonic()
        if empty_since is None:
            empty_since = now
        if now - empty_since >= linger:
            return False
        time.sleep(LINGER_POLL)
    return True
