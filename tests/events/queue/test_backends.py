"""The ingest queue's two backends, held to one contract: at-least-once delivery with a
visibility timeout, acknowledgement after the fact, and counters the edge and pacing read."""

import time

import pytest
import redis
from django.conf import settings

from events.queue import QueuedPayload, RedisStreamQueue, SqliteQueue


def payload(n: int, client_ip: str | None = "10.0.0.1") -> QueuedPayload:
    return QueuedPayload(
        project_id=7, event_id=f"{n:032x}", received=1_800_000_000.5 + n, kind="envelope",
        content_encoding="br", body=bytes([n % 256]) * (n + 1), client_ip=client_ip,
    )  # fmt: skip


@pytest.fixture(params=["sqlite", "redis"])
def queue(request, tmp_path):
    if request.param == "sqlite":
        backend = SqliteQueue(str(tmp_path / "ingest.sqlite3"))
    else:
        if not settings.REDIS_URL:
            pytest.skip(
                "REDIS_URL is not set: the Redis backend runs in the PostgreSQL + Redis run"
            )
        backend = RedisStreamQueue(settings.REDIS_URL)
        backend.stream = f"test:ingest:{time.time_ns()}"  # a stream of this test's own
    backend.clear()
    yield backend
    backend.clear()


def test_what_is_pushed_is_read_back_whole_and_in_order(queue):
    sent = [payload(1), payload(2, client_ip=None)]
    queue.push(sent[0])
    queue.push_many(sent[1:])
    messages = queue.read(10, visibility_timeout=60)
    assert [m.payload for m in messages] == sent
    assert len({m.id for m in messages}) == 2


def test_a_claimed_message_is_handed_out_again_only_after_the_timeout(queue):
    queue.push(payload(1))
    [first] = queue.read(10, visibility_timeout=0.3)
    # Claimed: nobody else gets it before the timeout. The reader's timeout is what counts,
    # and a minute cannot pass before this line runs, however busy the box (0.3 s could).
    assert queue.read(10, visibility_timeout=60) == []
    deadline = time.monotonic() + 5
    again = []
    while not again and time.monotonic() < deadline:
        time.sleep(0.05)
        again = queue.read(10, visibility_timeout=0.3)
    assert [m.payload for m in again] == [first.payload]


def test_acknowledged_messages_are_gone_and_counters_follow(queue):
    queue.push_many([payload(n) for n in range(5)])
    assert queue.backlog() == 5
    added = queue.added()
    messages = queue.read(3, visibility_timeout=60)
    queue.ack([m.id for m in messages])
    assert queue.backlog() == 2
    assert queue.added() == added  # pushes ever made: acks do not lower it
    queue.push(payload(9))
    assert queue.added() == added + 1
    rest = queue.read(10, visibility_timeout=60)
    assert [m.payload.event_id for m in rest] == [payload(n).event_id for n in (3, 4, 9)]


def test_an_undecodable_message_is_delivered_without_a_payload(queue):
    """The drain keeps it as a FailedPayload instead of choking on it."""
    if isinstance(queue, SqliteQueue):
        queue._conn().execute("INSERT INTO queue (meta, body) VALUES (?, ?)", (b"not json", b"x"))
    else:
        queue.client.xadd(queue.stream, {"m": b"[1, 2]", "b": b"x"})
    [message] = queue.read(10, visibility_timeout=60)
    assert message.payload is None and message.raw_meta in (b"not json", b"[1, 2]")


def test_oldest_is_when_the_first_unacknowledged_message_arrived(queue):
    """The processing lag of /metrics and the status page: None when empty."""
    assert queue.oldest() is None
    before = time.time()
    queue.push_many([payload(1), payload(2)])
    oldest = queue.oldest()
    # SQLite keeps the edge's receive time; Redis the stream id's push time (ms).
    assert oldest == payload(1).received or before - 0.002 <= oldest <= time.time() + 0.002
    [first] = queue.read(1, visibility_timeout=60)
    queue.ack([first.id])
    second = queue.oldest()
    assert second == payload(2).received or before - 0.002 <= second <= time.time() + 0.002
    queue.ack([m.id for m in queue.read(10, visibility_timeout=60)])
    assert queue.oldest() is None


def test_an_ack_cut_off_mid_send_leaves_the_messages_claimed(queue, monkeypatch):
    """A worker SIGKILLed while its ack is on the wire (seen in tests/faults): the part
    that reached Redis must not acknowledge without deleting, or the messages stay in the
    stream unread while the backlog and the lag count them for ever."""
    if isinstance(queue, SqliteQueue):
        pytest.skip("one SQLite transaction: nothing is sent in parts")
    queue.push_many([payload(n) for n in range(3)])
    messages = queue.read(10, visibility_timeout=60)
    send = redis.connection.Connection.send_packed_command

    def dies_before_the_delete(conn, command, check_health=True):
        data = b"".join(command) if isinstance(command, list) else command
        cut = data.find(b"\r\nXDEL\r\n")
        if cut < 0:
            return send(conn, command, check_health)
        conn._sock.sendall(data[: data.rfind(b"*", 0, cut)])  # everything before XDEL
        conn.disconnect()
        raise redis.ConnectionError("killed mid-send")

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", dies_before_the_delete)
    with pytest.raises(redis.ConnectionError):
        queue.ack([m.id for m in messages])
    monkeypatch.undo()
    time.sleep(0.05)  # Redis has read what was sent
    pending = queue.client.xpending(queue.stream, queue.group)["pending"]
    assert (queue.backlog(), pending) == (3, 3)  # still claimed: reclaimed after the timeout
