"""Draining the ingest queue in batches: read, prepare, store in one transaction, ack.

Acknowledging only after the commit gives at-least-once delivery; unique event ids make
storage exactly once. A payload our code cannot store is kept as a FailedPayload and
acknowledged, so one bad message never blocks the queue. Database errors propagate: the
batch stays unacknowledged and is read again after the visibility timeout.
"""

import logging
import queue as queue_module
import threading
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction

from aggregator import heartbeat, metrics
from events import signals
from events.models import FailedPayload
from events.queue import Message, get_queue
from events.wire.refusal import Refusal
from projects.models import Project

from . import pacing, prepare, store

log = logging.getLogger(__name__)


def _keep_failed(message: Message, reason: str) -> None:
    """Every failed payload in one format, the queue message as read, so that
    `manage.py replayfailed` can queue any of them again."""
    payload = message.payload
    metrics.FAILED_PAYLOADS.inc()
    FailedPayload.objects.create(
        project_id=payload.project_id if payload else None,
        reason=reason[:2000],
        meta=message.raw_meta,
        body=payload.body if payload else b"",
    )


def _prepare_all(
    messages: list[Message],
) -> tuple[list[prepare.PreparedEvent], list[tuple], list[Message]]:
    """Pure work, done before the transaction so write locks are held only for writing.
    Returns the prepared events, the failed (message, reason) pairs, and the message each
    prepared event came from."""
    prepared, failed, sources = [], [], []
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
            prepared.append(prepare.prepare(message.payload))
            sources.append(message)
        except Refusal as exc:
            failed.append((message, f"invalid payload: {exc.detail}"))
        except Exception as exc:  # a bug of ours on valid input: keep the payload, go on
            log.exception("could not prepare event %s", message.payload.event_id)
            failed.append((message, f"{type(exc).__name__}: {exc}"))
    return prepared, failed, sources


# Longer than the edge's interval between drain requests (events/ingest/handoff.py).
DRAIN_LINGER = 0.6
LINGER_POLL = 0.1
HOLD_POLL = 0.05

# Errors that say nothing about the data: the database is away, busy or deadlocked.
TRANSIENT = (OperationalError, InterfaceError)


def _store(prepared: list[prepare.PreparedEvent], sources: list[Message]) -> list[store.Outcome]:
    try:
        return store.store_batch(prepared)
    except TRANSIENT:
        raise
    except Exception:
        # Something in the batch trips a bug: store one by one so the rest still lands.
        log.exception("batch store failed; retrying events one by one")
        outcomes = []
        for event, message in zip(prepared, sources, strict=True):
            try:
                outcomes.extend(store.store_batch([event]))  # a savepoint of its own
            except TRANSIENT:
                raise
            except Exception as exc:
                log.exception("could not store event %s", event.event_id)
                _keep_failed(message, f"{type(exc).__name__}: {exc}")
        return outcomes


def _emit(outcomes: list[store.Outcome]) -> None:
    """After commit and ack: a failing receiver (say, a broker hiccup while it queues a
    notification) is logged and never undoes or repeats the stored batch."""
    sent = []
    for outcome in outcomes:
        kwargs = {"issue_id": outcome.issue_id, "project_id": outcome.project_id}
        if outcome.created:
            sent += signals.issue_created.send_robust(sender=store.Outcome, **kwargs)
        elif outcome.regressed:
            sent += signals.issue_regressed.send_robust(sender=store.Outcome, **kwargs)
        elif outcome.unignored:
            sent += signals.issue_unignored.send_robust(sender=store.Outcome, **kwargs)
    if outcomes:
        sent += signals.batch_stored.send_robust(sender=store.Outcome, outcomes=outcomes)
    for receiver, result in sent:
        if isinstance(result, Exception):
            log.error("signal receiver %r failed", receiver, exc_info=result)


def _read() -> list[Message]:
    return get_queue().read(settings.INGEST_BATCH_SIZE, settings.INGEST_VISIBILITY_TIMEOUT)


def _write(messages: list[Message], prepared: list, failed: list, sources: list) -> None:
    """Store a prepared batch in one transaction, then ack it, then tell the receivers."""
    started = time.perf_counter()
    with transaction.atomic():
        for message, reason in failed:
            _keep_failed(message, reason)
        outcomes = _store(prepared, sources)
    get_queue().ack([m.id for m in messages])
    metrics.BATCH_DURATION.observe(time.perf_counter() - started)
    metrics.BATCH_SIZE.observe(len(messages))
    metrics.EVENTS_STORED.inc(sum(o.new_events for o in outcomes))
    heartbeat.beat("worker")
    _emit(outcomes)


def process_batch() -> int:
    """Read one batch, store it, ack it. Returns how many messages were read."""
    messages = _read()
    if messages:
        _write(messages, *_prepare_all(messages))
    return len(messages)


class _Writer:
    """Writes batches in a thread of its own while the caller prepares the next one.

    Storing a batch is half waiting on the database, and a one-process worker would sit idle
    meanwhile. One batch waits at most (the queue holds one), batches are written in the
    order they were read, and the first error stops the drain: what was read but not written
    stays unacknowledged and is read again after the visibility timeout.
    """

    def __init__(self):
        self._jobs: queue_module.Queue = queue_module.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def submit(self, messages: list[Message], prepared: list, failed: list, sources: list) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="drain-writer", daemon=True)
            self._thread.start()
        self._jobs.put((messages, prepared, failed, sources))

    def _run(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                if self._error is None:
                    try:
                        _write(*job)
                    except BaseException as exc:
                        self._error = exc
        finally:
            connections.close_all()  # this thread's own connections

    def check(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None
        self.check()


def drain(time_budget: float = 10.0, linger: float = DRAIN_LINGER) -> bool:
    """Process batches until the queue is empty or the budget is spent; True if more remain.

    On an empty queue it looks again for `linger` seconds before it ends: the edge asks for
    at most one drain per process per half second, so an event pushed just after the last
    read would otherwise wait for beat's safety-net drain. While a burst arrives faster than
    INGEST_FIRST_ABOVE, it waits instead of reading (events/processing/pacing.py)."""
    deadline = time.monotonic() + time_budget
    empty_since = None
    writer = _Writer()
    pacer = pacing.ingest_first()
    try:
        while time.monotonic() < deadline:
            heartbeat.beat("worker")
            writer.check()
            if pacer.holding():  # a burst is arriving: the edge first, this batch after it
                time.sleep(HOLD_POLL)
                continue
            messages = _read()
            if messages:
                writer.submit(messages, *_prepare_all(messages))
                empty_since = None
                continue
            now = time.monotonic()
            if empty_since is None:
                empty_since = now
            if now - empty_since >= linger:
                return False
            time.sleep(LINGER_POLL)
        return True
    finally:
        writer.close()
