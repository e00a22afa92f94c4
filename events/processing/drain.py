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

import orjson
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction

from events import items, signals
from events.models import FailedPayload
from events.queue import Message, get_queue
from events.wire.refusal import Refusal
from projects.models import Project

from . import pacing, prepare, store

log = logging.getLogger(__name__)


def _keep_failed(message: Message, reason: str) -> None:
    payload = message.payload
    FailedPayload.objects.create(
        project_id=payload.project_id if payload else None,
        reason=reason[:2000],
        meta=message.raw_meta,
        body=payload.body if payload else b"",
    )


def _prepare_all(
    messages: list[Message],
) -> tuple[list[prepare.PreparedEvent], list[tuple], list[items.RoutedItem]]:
    """Pure work, done before the transaction so write locks are held only for writing.
    Items other apps take (check-ins, feedback) are collected for them (events/items.py)."""
    prepared, failed, routed = [], [], []
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
            taken: list[items.RoutedItem] = []
            event = prepare.prepare(message.payload, taken)
            if event is not None:
                prepared.append(event)
            routed += taken
        except Refusal as exc:
            failed.append((message, f"invalid payload: {exc.detail}"))
        except Exception as exc:  # a bug of ours on valid input: keep the payload, go on
            log.exception("could not prepare event %s", message.payload.event_id)
            failed.append((message, f"{type(exc).__name__}: {exc}"))
    return prepared, failed, routed


# Longer than the edge's interval between drain requests (events/ingest/handoff.py).
DRAIN_LINGER = 0.6
LINGER_POLL = 0.1
HOLD_POLL = 0.05

# Errors that say nothing about the data: the database is away, busy or deadlocked.
TRANSIENT = (OperationalError, InterfaceError)


def _store(prepared: list[prepare.PreparedEvent]) -> list[store.Outcome]:
    try:
        return store.store_batch(prepared)
    except TRANSIENT:
        raise
    except Exception:
        # Something in the batch trips a bug: store one by one so the rest still lands.
        log.exception("batch store failed; retrying events one by one")
        outcomes = []
        for event in prepared:
            try:
                outcomes.extend(store.store_batch([event]))
            except TRANSIENT:
                raise
            except Exception as exc:
                log.exception("could not store event %s", event.event_id)
                FailedPayload.objects.create(
                    project_id=event.project_id, reason=f"{type(exc).__name__}: {exc}",
                    meta=b"", body=orjson.dumps(event.data),
                )  # fmt: skip
        return outcomes


def _handle(handler, group: list[items.RoutedItem]) -> list[store.Outcome]:
    with transaction.atomic():  # a savepoint: a failing handler undoes only its own writes
        return handler(group)


def _hand_on(routed: list[items.RoutedItem]) -> list[store.Outcome]:
    """Routed items to their apps' handlers, by type. A handler that fails on a group is
    given its items one by one, and an item it still fails on is kept as a FailedPayload:
    the rest of the batch is stored."""
    by_type: dict[str, list[items.RoutedItem]] = {}
    for item in routed:
        by_type.setdefault(item.type, []).append(item)
    outcomes = []
    for item_type, group in by_type.items():
        handler = items.handler_for(item_type)
        if handler is None:
            continue
        try:
            outcomes += _handle(handler, group)
            continue
        except TRANSIENT:
            raise
        except Exception:
            log.exception("could not hand on %s items; trying them one by one", item_type)
        for item in group:
            try:
                outcomes += _handle(handler, [item])
            except TRANSIENT:
                raise
            except Exception as exc:
                log.exception("could not hand on a %s item", item_type)
                FailedPayload.objects.create(
                    project_id=item.project_id, meta=b"", body=item.payload,
                    reason=f"{item_type}: {type(exc).__name__}: {exc}"[:2000],
                )  # fmt: skip
    return outcomes


def emit(outcomes: list[store.Outcome]) -> None:
    """The signals for stored outcomes (also for issues other apps raise, events/synthetic.py).
    After commit and ack: a failing receiver (say, a broker hiccup while it queues a
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


def _write(messages: list[Message], prepared: list, failed: list, routed: list = ()) -> None:
    """Store a prepared batch in one transaction, then ack it, then tell the receivers."""
    with transaction.atomic():
        for message, reason in failed:
            _keep_failed(message, reason)
        outcomes = _store(prepared)
        if routed:  # after the events: feedback finds the event it is about in this batch
            outcomes += _hand_on(routed)
    get_queue().ack([m.id for m in messages])
    emit(outcomes)


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

    def submit(self, messages: list[Message], prepared: list, failed: list, routed: list) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="drain-writer", daemon=True)
            self._thread.start()
        self._jobs.put((messages, prepared, failed, routed))

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
