"""The embedded default's broker: a message file appears only whole, and a worker asked to
stop does not sit out kombu's polling wait."""

import os
import threading
import time

import pytest
from celery.worker import state as worker_state
from django.conf import settings
from kombu import Connection

from aggregator import fsbroker

pytestmark = pytest.mark.one_pass


@pytest.fixture(scope="session")
def control_folder(tmp_path_factory):
    """Where kombu keeps exchange tables; its default is control/ in the working directory,
    the checkout. One for the session: kombu remembers bindings per process and writes a
    table only on the first bind, so a later test's queue must find the earlier table."""
    return tmp_path_factory.mktemp("broker-control")


@pytest.fixture
def broker_options(tmp_path, control_folder) -> dict:
    return {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path),
            "control_folder": str(control_folder)}  # fmt: skip


@pytest.fixture
def connection(broker_options):
    with Connection(transport=fsbroker.Transport, transport_options=broker_options) as conn:
        yield conn


def test_the_embedded_default_uses_it():
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("the broker is not the filesystem one")
    assert settings.CELERY_BROKER_TRANSPORT == "aggregator.fsbroker:Transport"


def test_a_message_gets_its_final_name_only_once_written(connection, tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def replace(src, dst):
        # Just before the rename: readers see no message file, the partial one is complete.
        seen.append(sorted(n for n in os.listdir(tmp_path) if n.endswith(".msg")))
        assert os.path.basename(src).startswith(fsbroker.PARTIAL_PREFIX)
        assert os.path.getsize(src) > 0
        real_replace(src, dst)

    monkeypatch.setattr(fsbroker.os, "replace", replace)
    queue = connection.SimpleQueue("work")
    queue.put({"n": 1})
    assert seen and all(not names or all(not n.startswith(".") for n in names) for names in seen)
    assert [n for n in os.listdir(tmp_path) if n.startswith(fsbroker.PARTIAL_PREFIX)] == []
    assert queue.get(timeout=5).payload == {"n": 1}
    queue.close()


def test_a_reader_racing_slow_writers_gets_every_message_whole(
    connection, broker_options, monkeypatch
):
    # Slow down the write after the file is opened: with kombu's own transport (name first,
    # content after) the reader then takes empty files and fails to decode them.
    real = fsbroker.str_to_bytes
    monkeypatch.setattr(fsbroker, "str_to_bytes", lambda s: (time.sleep(0.002), real(s))[1])
    writers, per_writer = 4, 50

    def write(w):
        with Connection(transport=fsbroker.Transport, transport_options=broker_options) as conn:
            queue = conn.SimpleQueue("work")
            for i in range(per_writer):
                queue.put({"w": w, "i": i, "pad": "x" * 2000})
            queue.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    queue = connection.SimpleQueue("work")
    got = set()
    while len(got) < writers * per_writer:
        message = queue.get(timeout=20)  # a partial file would raise a JSON error here
        got.add((message.payload["w"], message.payload["i"]))
        message.ack()
    for thread in threads:
        thread.join()
    queue.close()
    assert got == {(w, i) for w in range(writers) for i in range(per_writer)}


class Clock:
    """fsbroker's monotonic() and sleep(): a sleep moves the time on at once, and may do
    what a signal handler would meanwhile."""

    def __init__(self):
        self.now, self.sleeps, self.meanwhile = 0.0, [], None

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.meanwhile is not None:
            self.meanwhile()


@pytest.fixture
def clock(monkeypatch):
    # The wait is counted in polls, not measured: the box's load cannot change the answer.
    # (bench/worker_stop.py measures how long a real worker takes to stop.)
    clock = Clock()
    monkeypatch.setattr(fsbroker, "monotonic", clock.monotonic)
    monkeypatch.setattr(fsbroker, "sleep", clock.sleep)
    return clock


@pytest.fixture
def not_stopping(monkeypatch):
    monkeypatch.setattr(worker_state, "should_stop", False)  # Celery's "not stopping" values
    monkeypatch.setattr(worker_state, "should_terminate", None)


@pytest.mark.parametrize("when", ["before", "while waiting"])
@pytest.mark.parametrize("flag, code", [("should_stop", 0), ("should_terminate", 1)])
def test_waiting_for_messages_ends_once_the_worker_is_asked_to_stop(
    connection, monkeypatch, clock, not_stopping, flag, code, when
):
    # Celery's signal handlers set these (an exit code, 0 for a warm shutdown); its loop for
    # polling brokers calls drain_events(timeout=2.0) and looks at them only in between.
    queue = connection.SimpleQueue("work")
    if when == "before":
        monkeypatch.setattr(worker_state, flag, code)
    else:
        clock.meanwhile = lambda: monkeypatch.setattr(worker_state, flag, code)
    with pytest.raises(TimeoutError):
        connection.drain_events(timeout=5)
    # Asked before: no wait at all. Asked while waiting: it ends after that one poll.
    assert clock.sleeps == ([] if when == "before" else [1.0])
    queue.close()


def test_waiting_for_messages_lasts_the_timeout_otherwise(connection, clock, not_stopping):
    queue = connection.SimpleQueue("work")
    with pytest.raises(TimeoutError):
        connection.drain_events(timeout=2.5)
    assert clock.now >= 2.5 and clock.sleeps == [1.0, 1.0, 1.0]  # polled once a second
    queue.close()


def test_a_stopping_worker_takes_no_new_message(connection, monkeypatch, clock, tmp_path):
    # Under honcho the pool's processes get the same SIGTERM as the worker: a task handed to
    # them now would leave the worker waiting for it until SIGKILL. It waits for the next one.
    queue = connection.SimpleQueue("work")
    queue.put({"n": 1})
    queue.consumer.consume()  # a worker's consumer: a poll delivers the message to queue.buffer
    monkeypatch.setattr(worker_state, "should_stop", 0)
    with pytest.raises(TimeoutError):
        connection.drain_events(timeout=5)
    assert not queue.buffer and clock.sleeps == []  # not taken, and no wait either
    assert len([n for n in os.listdir(tmp_path) if n.endswith(".work.msg")]) == 1
    monkeypatch.setattr(worker_state, "should_stop", None)
    connection.drain_events(timeout=5)
    (message,) = queue.buffer
    assert message.payload == {"n": 1}
    message.ack()
    queue.close()


def test_a_full_prefetch_window_returns_after_one_poll_so_celery_can_acknowledge(
    connection, clock, not_stopping
):
    # Celery acknowledges finished tasks between calls of drain_events: waiting out the
    # timeout while every prefetch slot holds an unacknowledged task kept a free pool
    # process idle for up to the whole timeout.
    queue = connection.SimpleQueue("work")
    queue.consumer.qos(prefetch_count=1)
    # Celery's remote-control consumer: a channel of its own with no prefetch limit.
    control = connection.SimpleQueue("control", channel=connection.channel())
    control.consumer.consume()
    queue.put({"n": 1})
    clock.now += 0.01  # message names start with the time: the second sorts after the first
    queue.put({"n": 2})
    queue.consumer.consume()
    connection.drain_events(timeout=5)
    (first,) = queue.buffer  # the window is full now: one delivered, not acknowledged
    with pytest.raises(TimeoutError):
        connection.drain_events(timeout=5)
    assert clock.sleeps == [1.0]  # one poll, not five
    first.ack()
    connection.drain_events(timeout=5)
    assert [m.payload["n"] for m in queue.buffer] == [1, 2]
    queue.close()
    control.close()
