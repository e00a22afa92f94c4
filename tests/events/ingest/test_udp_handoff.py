"""Batched hand-off from the UDP listener into the real ingest queue (SQLite or Redis,
whichever the run is configured with)."""

import sqlite3
import time

import pytest
import redis
from django.conf import settings

from events.ingest import handoff, udp, udp_stats
from events.ingest.keys import KeyInfo
from events.queue import QueuedPayload
from events.queue.spool import Spool
from tests.support.datagrams import datagram, raven_event

KEY = "a" * 32


def payloads(n: int) -> list[QueuedPayload]:
    return [
        QueuedPayload(7, f"{i:032x}", time.time(), "store", "", b'{"n": %d}' % i, "127.0.0.1")
        for i in range(n)
    ]


@pytest.fixture
def fresh_backlog(monkeypatch):
    monkeypatch.setattr(handoff._State, "backlog_checked", 0.0)
    monkeypatch.setattr(handoff._State, "backlog", 0)


def test_bulk_hand_off_queues_the_batch_as_individual_pushes_would(ingest_queue, fresh_backlog):
    batch = payloads(3)
    handoff.hand_off_many(batch)
    messages = ingest_queue.read(10, 60)
    assert [m.payload for m in messages] == batch


def test_a_failing_batch_is_spooled_not_lost(ingest_queue, fresh_backlog, monkeypatch, tmp_path):
    spool = Spool(tmp_path / "spool")
    monkeypatch.setattr(handoff, "get_spool", lambda: spool)

    def broken(self, batch):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(type(ingest_queue), "push_many", broken)
    handoff.hand_off_many(payloads(3))
    assert ingest_queue.backlog() == 0 and len(spool) == 3


def listener(**kwargs) -> udp.Listener:
    stats = udp_stats.Stats(None, "test")
    return udp.Listener(
        stats,
        lookup=lambda key: KeyInfo(1, 7, True, None, None),
        rate_check=lambda key: None,
        reject_log=lambda *a: None,
        **kwargs,
    )


def feed(listen: udp.Listener, n: int) -> udp_stats.Stats:
    batch = [(datagram(KEY, raven_event(7)), ("127.0.0.1", 1)) for _ in range(n)]
    listen.process_batch(batch)
    return listen.stats


@pytest.mark.parametrize(
    "error", [sqlite3.OperationalError("locked"), redis.ConnectionError("down")]
)
def test_queue_errors_fall_back_to_one_by_one(ingest_queue, fresh_backlog, error):
    def broken_bulk(batch):
        raise error

    listen = listener(bulk=None)
    listen.bulk = broken_bulk
    stats = feed(listen, 3)
    assert stats.accepted == 3 and ingest_queue.backlog() == 3
    assert listen.bulk is broken_bulk  # tried again next time


def test_default_listener_batches_into_the_real_queue(ingest_queue, fresh_backlog):
    listen = listener()
    assert listen.bulk is handoff.hand_off_many
    stats = feed(listen, 5)
    assert stats.accepted == 5 and stats.handoff_batches == 1
    assert ingest_queue.backlog() == 5


def test_backlog_bound_refuses_the_whole_batch(ingest_queue, fresh_backlog, monkeypatch):
    handoff.hand_off_many(payloads(2))
    monkeypatch.setattr(settings, "INGEST_MAX_BACKLOG", 1)
    monkeypatch.setattr(handoff._State, "backlog_checked", 0.0)
    stats = feed(listener(), 3)
    assert stats.accepted == 0 and dict(stats.rejected) == {"overloaded": 3}
    assert ingest_queue.backlog() == 2
