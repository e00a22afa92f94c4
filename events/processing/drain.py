"""Draining the ingest queue in batches: read, prepare, store in one transaction, ack.

Acknowledging only after the commit gives at-least-once delivery; unique event ids make
storage exactly once. A payload our code cannot store is kept as a FailedPayload and
acknowledged, so one bad message never blocks the queue. Database errors propagate: the
batch stays unacknowledged and is read again after the visibility timeout.
"""

import functools
import logging
import queue as queue_module
import threading
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction

from aggregator import heartbeat, metrics
from events import items, signals
from events.models import FailedPayload
from events.queue import Message, get_queue
from events.wire.inbound_filters import Filters
from events.wire.refusal import Refusal
from outcomes import tally
from outcomes.models import Outcome as Outcomes
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


# The project settings the worker's inbound filters read (events/wire/inbound_filters.py).
_FILTER_FIELDS = (
    "filter_localhost", "filter_browser_extensions", "filter_legacy_browsers",
    "filter_web_crawlers", "filter_messages", "filter_releases", "filter_ip_ranges",
)  # fmt: skip


@functools.lru_cache(maxsize=1024)
def _filters(localhost, extensions, legacy, crawlers, messages, releases, ips) -> Filters | None:
    filters = Filters.build(
        localhost=localhost, browser_extensions=extensions, legacy_browsers=legacy,
        web_crawlers=crawlers, messages=messages, releases=releases, ip_ranges=ips,
    )  # fmt: skip
    return filters if filters.in_worker else None


def _live_projects(messages: list[Message]) -> dict[int, Filters | None]:
    """The batch's projects that still exist, with their inbound filters."""
    wanted = {m.payload.project_id for m in messages if m.payload is not None}
    rows = Project.objects.filter(id__in=wanted).values_list("id", *_FILTER_FIELDS)
    return {row[0]: _filters(*row[1:]) for row in rows}


def _prepare_all(messages: list[Message]) -> tuple[list, list[tuple], dict, list, list]:
    """Pure work, done before the transaction so write locks are held only for writing.
    Returns the prepared events, the failed messages with their reasons, the outcome
    counts of the filtered and invalid ones (outcomes.tally keys), the items other apps
    take (check-ins, feedback; events/items.py), and the message each prepared event came
    from."""
    prepared, failed, counts, routed, sources = [], [], {}, [], []

    def count(payload, outcome: str, reason: str) -> None:
        key = (payload.project_id, tally.hour_of(payload.received), "error", outcome, reason)
        counts[key] = counts.get(key, 0) + 1

    # A project deleted while its events were queued: its rows would break the batch's
    # foreign keys at COMMIT, and the redelivered batch again, blocking the queue for good.
    live = _live_projects(messages)
    for message in messages:
        if message.payload is None:
            failed.append((message, "undecodable queue message"))
            continue
        if message.payload.project_id not in live:
            failed.append((message, f"project {message.payload.project_id} no longer exists"))
            continue
        try:
            taken: list[items.RoutedItem] = []
            event = prepare.prepare(message.payload, live[message.payload.project_id], taken)
            if event is not None:
                prepared.append(event)
                sources.append(message)
            routed += taken
        except prepare.Filtered as exc:
            count(message.payload, Outcomes.FILTERED, exc.reason)
        except Refusal as exc:
            failed.append((message, f"invalid payload: {exc.detail}"))
            count(message.payload, Outcomes.INVALID, exc.reason)
        except Exception as exc:  # a bug of ours on valid input: keep the payload, go on
            log.exception("could not prepare event %s", message.payload.event_id)
            failed.append((message, f"{type(exc).__name__}: {exc}"))
            count(message.payload, Outcomes.INVALID, "internal_error")
    return prepared, failed, counts, routed, sources


def _count_accepted(prepared: list, outcomes: list[store.Outcome], counts: dict) -> dict:
    """Outcome counts plus the events accepted now, by the hour they arrived: those stored
    and those only counted on their issue past its cap (times seen, tags and hours)."""
    counts = dict(counts)
    hours = {
        (ev.project_id, ev.event_id): tally.hour_of(ev.received.timestamp()) for ev in prepared
    }
    for outcome in outcomes:
        for event_id in outcome.counted_ids:
            hour = hours.get((outcome.project_id, event_id))
            if hour is not None:
                key = (outcome.project_id, hour, "error", Outcomes.ACCEPTED, "")
                counts[key] = counts.get(key, 0) + 1
    return counts


# Longer than the edge's interval between drain requests (events/ingest/handoff.py).
DRAIN_LINGER = 0.6
LINGER_POLL = 0.1
HOLD_POLL = 0.05

# Errors that say nothing about the data: the database is away, busy or deadlocked.
TRANSIENT = (OperationalError, InterfaceError)


def _store(
    prepared: list[prepare.PreparedEvent], sources: list[Message], counts: dict
) -> list[store.Outcome]:
    """Store the batch; an event that cannot be stored is kept as a FailedPayload (its queue
    message) and counted in `counts` as invalid."""
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
                hour = tally.hour_of(event.received.timestamp())
                key = (event.project_id, hour, "error", Outcomes.INVALID, "internal_error")
                counts[key] = counts.get(key, 0) + 1
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
            sent += signals.issue_regressed.send_robust(
                sender=store.Outcome, release=outcome.release, **kwargs
            )
        elif outcome.unignored:
            sent += signals.issue_unignored.send_robust(sender=store.Outcome, **kwargs)
    if outcomes:
        sent += signals.batch_stored.send_robust(sender=store.Outcome, outcomes=outcomes)
    for receiver, result in sent:
        if isinstance(result, Exception):
            log.error("signal receiver %r failed", receiver, exc_info=result)


def _read() -> list[Message]:
    return get_queue().read(settings.INGEST_BATCH_SIZE, settings.INGEST_VISIBILITY_TIMEOUT)


def _write(
    messages: list[Message],
    prepared: list,
    failed: list,
    counts: dict,
    routed: list,
    sources: list,
) -> None:
    """Store a prepared batch in one transaction, then ack it, then tell the receivers."""
    started = time.perf_counter()
    with transaction.atomic():
        for message, reason in failed:
            _keep_failed(message, reason)
        counts = dict(counts)
        outcomes = _store(prepared, sources, counts)
        tally.fold(_count_accepted(prepared, outcomes, counts))  # exact: in the same commit
        if routed:  # after the events: feedback finds the event it is about in this batch
            outcomes += _hand_on(routed)
    get_queue().ack([m.id for m in messages])
    metrics.BATCH_DURATION.observe(time.perf_counter() - started)
    metrics.BATCH_SIZE.observe(len(messages))
    metrics.EVENTS_STORED.inc(sum(o.new_events for o in outcomes))
    heartbeat.beat("worker")
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

    def submit(
        self,
        messages: list[Message],
        prepared: list,
        failed: list,
        counts: dict,
        routed: list,
        sources: list,
    ) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="drain-writer", daemon=True)
            self._thread.start()
        self._jobs.put((messages, prepared, failed, counts, routed, sources))

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
    INGEST_FIRST_ABOVE, it waits instead of reading, and under a steady flow it lets the
    next batch fill up (events/processing/pacing.py)."""
    deadline = time.monotonic() + time_budget
    empty_since = None
    writer = _Writer()
    pacer, gather = pacing.ingest_first(), pacing.gather()
    try:
        while time.monotonic() < deadline:
            heartbeat.beat("worker")
            writer.check()
            if pacer.holding():  # a burst is arriving: the edge first, this batch after it
                time.sleep(HOLD_POLL)
                continue
            if (wait := gather.wait()) > 0:  # a steady flow: let the next batch fill up
                time.sleep(min(wait, HOLD_POLL))
                continue
            started = time.monotonic()
            messages = _read()
            gather.read(len(messages), started)
            if messages:
                writer.submit(messages, *_prepare_all(messages))
                pacer.worked()
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
