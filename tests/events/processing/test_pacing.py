"""Ingest first: drains wait while a burst arrives, on the real queue and database."""

import threading
import time

import pytest

from events.models import Event
from events.processing import drain, pacing
from tests.events.processing.test_store import enqueue
from tests.support.factories import ProjectFactory
from tests.support.payloads import python_error

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def push(queue, project, n: int) -> None:
    for _ in range(n):
        enqueue(queue, project, python_error())


def test_arrival_rate_over_the_window():
    assert pacing.arrival_rate([]) is None
    assert pacing.arrival_rate([(0.0, 10)]) is None
    assert pacing.arrival_rate([(0.0, 10), (0.1, 20)]) is None  # too short to say
    assert pacing.arrival_rate([(0.0, 10), (0.5, 20), (1.0, 60)]) == 50
    assert pacing.arrival_rate([(0.0, 10), (1.0, 0)]) == 0  # the queue was cleared


def test_added_counts_every_push_even_once_acknowledged(ingest_queue):
    project = ProjectFactory()
    before = ingest_queue.added()
    push(ingest_queue, project, 3)
    ingest_queue.ack([m.id for m in ingest_queue.read(10, 60)])
    push(ingest_queue, project, 2)
    assert ingest_queue.backlog() == 2
    assert ingest_queue.added() - before == 5


def test_holds_while_events_arrive_faster_than_the_threshold(ingest_queue):
    project, clock = ProjectFactory(), Clock()
    pacer = pacing.IngestFirst(ingest_queue, above=5, max_backlog=1000, clock=clock)
    assert pacer.holding() is True  # one look: no rate yet, so wait for the next
    push(ingest_queue, project, 10)
    clock.now += 0.5
    assert pacer.holding() is True  # 20 events/s

    push(ingest_queue, project, 10)
    clock.now += 0.1
    assert pacer.holding() is True  # between looks: the last decision, no query

    clock.now += 0.4
    assert pacer.holding() is True  # 20 more within the window
    clock.now += 1.5  # a quiet spell, longer than the window: no rate, one more look
    assert pacer.holding() is True
    clock.now += 0.25
    assert pacer.holding() is True  # a quarter second is too short to judge
    clock.now += 0.25
    assert pacer.holding() is False


def test_a_drain_busy_for_longer_than_the_span_is_not_held_for_it(ingest_queue):
    """Preparing a batch took 0.6 s and more on a slower machine: the rate since the last
    look decides. It held for half a second after every batch, for want of a rate."""
    project, clock = ProjectFactory(), Clock()
    pacer = pacing.IngestFirst(ingest_queue, above=100, max_backlog=1000, clock=clock)
    assert looks(pacer, ingest_queue, project, clock, per_look=1, count=3)[-1] is False
    for _ in range(5):
        push(ingest_queue, project, 3)
        pacer.worked()
        clock.now += 0.7  # preparing a batch between two looks
        assert pacer.holding() is False
    push(ingest_queue, project, 140)  # a burst is still seen by a busy drain
    pacer.worked()
    clock.now += 0.7
    assert pacer.holding() is True
    clock.now += 3  # the burst ends; a drain after a quiet spell first learns the rate
    assert pacer.holding() is True
    clock.now += 0.5
    assert pacer.holding() is False


def looks(pacer, queue, project, clock, per_look: int, count: int) -> list[bool]:
    """`count` looks a quarter second apart, `per_look` events pushed before each."""
    seen = []
    for _ in range(count):
        push(queue, project, per_look)
        clock.now += 0.25
        seen.append(pacer.holding())
    return seen


def test_a_burst_is_held_until_its_rate_falls_well_below_the_threshold(ingest_queue):
    """Drains running take CPU from the edge, so a burst's rate falls when a hold ends: a
    hold that ended at the threshold itself would end for good on a slower machine."""
    project, clock = ProjectFactory(), Clock()
    pacer = pacing.IngestFirst(ingest_queue, above=100, max_backlog=10_000, clock=clock)
    assert pacer.holding() is True
    assert looks(pacer, ingest_queue, project, clock, 30, 4) == [True] * 4  # 120/s: a burst
    assert looks(pacer, ingest_queue, project, clock, 22, 4) == [True] * 4  # 88/s: still one
    assert looks(pacer, ingest_queue, project, clock, 15, 4)[-1] is False  # 60/s: over


def test_a_steady_rate_under_the_threshold_is_never_held(ingest_queue):
    """88/s from a quiet start: the first looks wait for a rate, then drains run, although
    88/s would keep a burst's hold going."""
    project, clock = ProjectFactory(), Clock()
    pacer = pacing.IngestFirst(ingest_queue, above=100, max_backlog=10_000, clock=clock)
    assert pacer.holding() is True
    assert looks(pacer, ingest_queue, project, clock, 22, 6) == [True] + [False] * 5


@pytest.mark.parametrize(
    ("pushed", "max_backlog"),
    [(2, 1000), (10, 10)],
    ids=["a slow trickle (4 events/s)", "a full backlog (20 events/s, 10 queued already)"],
)
def test_not_held(ingest_queue, pushed, max_backlog):
    project, clock = ProjectFactory(), Clock()
    pacer = pacing.IngestFirst(ingest_queue, above=5, max_backlog=max_backlog, clock=clock)
    assert pacer.holding() is True  # no rate yet: wait for the next look
    push(ingest_queue, project, pushed)
    clock.now += 0.5
    assert pacer.holding() is False


def test_off_by_default(ingest_queue, settings):
    assert settings.INGEST_FIRST_ABOVE == 0
    pacing._for.cache_clear()
    assert pacing.ingest_first().holding() is False


@pytest.mark.django_db(transaction=True)
def test_a_drain_waits_out_a_burst_and_then_stores_all_of_it(ingest_queue, settings):
    settings.INGEST_FIRST_ABOVE = 5
    pacing._for.cache_clear()
    project = ProjectFactory()
    stop = threading.Event()

    def burst():  # ~40 events/s until told to stop
        while not stop.is_set():
            push(ingest_queue, project, 4)
            time.sleep(0.1)

    sender = threading.Thread(target=burst)
    sender.start()
    try:
        pacer = pacing.ingest_first()
        deadline = time.monotonic() + 5
        while not pacer.holding():  # the rate needs two looks a quarter second apart
            assert time.monotonic() < deadline, "never held during the burst"
            time.sleep(0.05)
        assert drain.drain(time_budget=1.0) is True  # budget spent waiting: more remain
        assert Event.objects.filter(project=project).count() == 0
    finally:
        stop.set()
        sender.join()
    sent = ingest_queue.backlog()
    assert sent >= 40

    assert drain.drain(time_budget=10) is False  # the burst is over: everything is stored
    assert Event.objects.filter(project=project).count() == sent
    assert ingest_queue.backlog() == 0
    pacing._for.cache_clear()


class Tidied:
    """The real queue, with a count of the upkeep the pacer asked of it."""

    def __init__(self, queue):
        self.queue, self.tidied = queue, 0

    def __getattr__(self, name):
        return getattr(self.queue, name)

    def tidy(self):
        self.tidied += 1
        self.queue.tidy()


def test_a_holding_drain_tidies_the_queue_once_a_look(ingest_queue):
    project, clock = ProjectFactory(), Clock()
    queue = Tidied(ingest_queue)
    pacer = pacing.IngestFirst(queue, above=5, max_backlog=1000, clock=clock)
    assert pacer.holding() is True
    push(ingest_queue, project, 10)
    clock.now += 0.5
    assert pacer.holding() is True
    clock.now += 0.1
    assert pacer.holding() is True  # between looks: nothing asked
    assert queue.tidied == 2

    clock.now += 1.5  # nothing arrived for a while: one look to learn the rate...
    assert pacer.holding() is True
    clock.now += 0.5  # ...then drains run, and acknowledgements do the upkeep
    assert pacer.holding() is False
    assert queue.tidied == 3


@pytest.mark.django_db(transaction=True)  # the drain's writer thread has a connection of its own
def test_a_drain_whose_batches_take_longer_than_the_window_does_not_hold_between_them(
    ingest_queue, settings, monkeypatch
):
    """Through drain.drain: each batch takes 0.7 s of the pacer's clock to prepare, and the
    drain tells the pacer so; it held half a second after each one when it did not."""
    settings.INGEST_BATCH_SIZE = 2
    project, clock = ProjectFactory(), Clock()
    pacer = pacing.IngestFirst(ingest_queue, above=1000, max_backlog=10_000, clock=clock)
    assert looks(pacer, ingest_queue, project, clock, 0, 3)[-1] is False  # a known, quiet rate
    push(ingest_queue, project, 6)
    monkeypatch.setattr(pacing, "ingest_first", lambda: pacer)
    prepare_all = drain._prepare_all

    def slow_prepare(messages):
        clock.now += 0.7
        return prepare_all(messages)

    holds = []
    monkeypatch.setattr(drain, "_prepare_all", slow_prepare)
    monkeypatch.setattr(drain.time, "sleep", lambda s: holds.append(s) or None)
    assert drain.drain(time_budget=30, linger=0.0) is False
    assert Event.objects.filter(project=project).count() == 6
    assert drain.HOLD_POLL not in holds  # never waited for a rate between batches


def test_gather_waits_only_after_a_read_that_emptied_the_queue_of_a_flow():
    clock = Clock()
    gather = pacing.Gather(seconds=0.5, least=20, batch=500, clock=clock)
    assert gather.wait() == 0
    gather.read(19, clock.now)  # a trickle: read it as it comes
    assert gather.wait() == 0
    gather.read(500, clock.now)  # a full batch: more is waiting
    assert gather.wait() == 0
    started = clock.now
    gather.read(85, started)
    clock.now += 0.2  # preparing the batch
    assert gather.wait() == pytest.approx(0.3)
    clock.now = started + 0.5
    assert gather.wait() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("first", "batch", "gathered"),
    [(30, 500, True), (10, 500, False), (30, 30, False)],
    ids=["a flow: the next read waits", "a trickle: read at once", "a full batch: read at once"],
)
def test_a_drain_lets_the_next_batch_of_a_flow_fill_up(
    ingest_queue, settings, monkeypatch, first, batch, gathered
):
    settings.INGEST_GATHER_SECONDS, settings.INGEST_GATHER_LEAST = 0.5, 20
    settings.INGEST_BATCH_SIZE = batch
    project, reads, read = ProjectFactory(), [], drain._read

    def timed_read():
        started = time.monotonic()
        messages = read()
        reads.append((started, len(messages)))
        if len(reads) == 1:
            push(ingest_queue, project, 5)  # arrives while the first batch is prepared
        return messages

    monkeypatch.setattr(drain, "_read", timed_read)
    push(ingest_queue, project, first)
    assert drain.drain(time_budget=5, linger=0.3) is False
    batches = [(started, n) for started, n in reads if n]
    assert [n for _started, n in batches] == [first, 5]
    waited = batches[1][0] - batches[0][0]
    assert waited >= 0.5 if gathered else waited < 0.25
    assert Event.objects.filter(project=project).count() == first + 5
