"""Ingest first: while events arrive faster than INGEST_FIRST_ABOVE per second, drains hold
off, so that on a small box a burst gets the CPU for the edge and processing catches up
when it is over.

The arrival rate is read from the queue (messages ever pushed), so it does not depend on how
fast we drain. It is judged over the last half second (or since the last look, when a drain
was busy with a batch for longer than that): a drain already running when a burst
begins (lingering on an empty queue) holds off within that, while over a whole second the
quiet before the burst kept its rate under the threshold for longer. A hold lasts while the
rate stays above RELEASE_BELOW of the threshold: once drains run, the edge has less CPU and
its rate falls, which must not end the hold on a slower machine. The release point stays
above a steady rate the worker keeps up with (1,500/s: run.sh sets 2,000, so holds end
below 1,600).

Holding stops once the backlog reaches INGEST_FIRST_MAX_BACKLOG: under a long
flood processing runs as usual, and the backlog bound answers 429 past INGEST_MAX_BACKLOG.
Nothing is lost by holding; events wait in the queue a little longer, alerts too.

Gathering (`Gather`): under a steady flow a drain read again as soon as it had prepared a
batch, so at 1,500 events/s its batches held ~85 events. A batch has fixed costs (its
transaction and commit, the issues it locks, a tag row per issue, key and value, the alert
task): the worker spent ~745 µs of CPU per event, against ~450 with batches of ~300
(bench/README.md). After a read that emptied the queue of a flow (INGEST_GATHER_LEAST
messages or more, fewer than a batch), the next read waits until INGEST_GATHER_SECONDS
after it. A trickle is read as it comes, and a full batch is followed at once by the next.
"""

import logging
import time
from collections import deque
from functools import cache

from django.conf import settings

from events.queue import get_queue

log = logging.getLogger(__name__)

SAMPLE_EVERY = 0.25  # seconds between looks at the queue
# The rate is measured since the latest look at least MIN_SPAN ago: about half a second when
# looks come every quarter, longer when the drain was busy with a batch since. After a quiet
# spell, looks older than WINDOW say nothing about now.
MIN_SPAN = 0.45
WINDOW = 0.6
RELEASE_BELOW = 0.8  # a hold for a burst ends below this share of the threshold


def arrival_rate(samples) -> float | None:
    """Events per second between the first and last (time, messages added) samples."""
    if len(samples) < 2:
        return None
    (t0, a0), (t1, a1) = samples[0], samples[-1]
    if t1 - t0 < MIN_SPAN:
        return None
    return max(0, a1 - a0) / (t1 - t0)  # a cleared queue restarts its count


class IngestFirst:
    def __init__(self, queue, above: int, max_backlog: int, clock=time.monotonic):
        self.queue, self.above, self.max_backlog, self.clock = queue, above, max_backlog, clock
        self.samples: deque = deque()
        self.next_look = float("-inf")
        self.hold = False
        self.burst = False  # holding for a rate above the threshold, not for want of one
        self.busy = False  # the drain worked on a batch since the last look

    def worked(self) -> None:
        """The drain read a batch: until the next look, the time is its work, not quiet."""
        self.busy = True

    def holding(self) -> bool:
        """Whether a drain should wait now instead of reading a batch."""
        if self.above <= 0:
            return False
        now = self.clock()
        if now < self.next_look:
            return self.hold
        self.next_look = now + SAMPLE_EVERY
        try:
            added, backlog = self.queue.added(), self.queue.backlog()
        except Exception:  # the queue is away: the drain's own read reports it
            log.debug("could not read the arrival rate", exc_info=True)
            added = None
        if added is None:
            self.samples.clear()
            self.hold = self.burst = False
            return False
        self.samples.append((now, added))
        # A drain busy with a batch for longer than WINDOW keeps the look before it, so it
        # does not find its rate unknown and hold (it did, for half a second after every
        # batch on a slower machine). After a quiet spell the rate is unknown until two
        # recent looks.
        if not self.busy:
            while now - self.samples[0][0] > WINDOW:
                self.samples.popleft()
        self.busy = False
        while len(self.samples) > 1 and now - self.samples[1][0] >= MIN_SPAN:
            self.samples.popleft()
        rate = arrival_rate(self.samples)
        # No rate yet (the first looks after a quiet spell): wait for one rather than read a
        # batch, or the first batches of a burst take the CPU its edge needs.
        above = self.above * RELEASE_BELOW if self.burst else self.above
        was = self.burst
        self.burst = rate is not None and rate > above and backlog < self.max_backlog
        if self.burst != was:
            log.info("ingest first: %s at %.0f events/s arriving, %d queued",
                     "holding drains" if self.burst else "drains resume", rate or 0, backlog)  # fmt: skip
        self.hold = self.burst or (rate is None and backlog < self.max_backlog)
        if self.hold:  # the queue's upkeep while we wait (SQLite: the WAL's checkpoint)
            try:
                self.queue.tidy()
            except Exception:
                log.debug("could not tidy the queue", exc_info=True)
        return self.hold


class Gather:
    def __init__(self, seconds: float, least: int, batch: int, clock=time.monotonic):
        self.seconds, self.least, self.batch, self.clock = seconds, least, batch, clock
        self.until = float("-inf")

    def read(self, count: int, started: float) -> None:
        """A read that began at `started` (the clock's time) returned `count` messages."""
        if self.least <= count < self.batch:
            self.until = started + self.seconds

    def wait(self) -> float:
        """Seconds to wait before the next read."""
        return max(0.0, self.until - self.clock())


def gather() -> Gather:
    return Gather(
        settings.INGEST_GATHER_SECONDS, settings.INGEST_GATHER_LEAST, settings.INGEST_BATCH_SIZE
    )


@cache
def _for(queue, above: int, max_backlog: int) -> IngestFirst:
    return IngestFirst(queue, above, max_backlog)


def ingest_first() -> IngestFirst:
    """This process's pacer: its samples outlive one drain task."""
    return _for(get_queue(), settings.INGEST_FIRST_ABOVE, settings.INGEST_FIRST_MAX_BACKLOG)
