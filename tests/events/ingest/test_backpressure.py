"""Honest back-pressure at the edge: rate limits, the backlog bound, the spool."""

import json
import time
import uuid

import pytest
from django.db import OperationalError

from events.ingest import handoff, keys, ratelimit
from events.queue import QueuedPayload
from events.queue.spool import Spool
from tests.support.factories import ProjectFactory, ProjectKeyFactory
from tests.support.payloads import auth_header, python_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    ratelimit._limiter.cache_clear()
    ratelimit._limiter().storage.reset()
    handoff._State.backlog_checked = 0.0
    yield
    ratelimit._limiter().storage.reset()


def send(client, project, key):
    return client.post(
        f"/api/{project.id}/store/",
        data=json.dumps(python_error()),
        content_type="application/json",
        headers={"X-Sentry-Auth": auth_header(key.public_key)},
    )


def test_key_rate_limit_answers_429_with_sentry_headers(client, ingest_queue):
    project = ProjectFactory()
    key = ProjectKeyFactory(project=project, rate_limit_per_minute=3)
    statuses = [send(client, project, key).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    response = send(client, project, key)
    retry = int(response["Retry-After"])
    assert 1 <= retry <= 60
    assert response["X-Sentry-Rate-Limits"] == f"{retry}:error;default;security:key:rate_limited"
    assert "rate limit" in response.json()["detail"]
    assert ingest_queue.backlog() == 3  # every 200 is queued; no 429 is


def test_project_rate_limit_covers_all_its_keys(client, ingest_queue):
    project = ProjectFactory(rate_limit_per_minute=2)
    first, second = project.keys.get(), ProjectKeyFactory(project=project)
    assert send(client, project, first).status_code == 200
    assert send(client, project, second).status_code == 200
    response = send(client, project, first)
    assert response.status_code == 429
    assert ":project:" in response["X-Sentry-Rate-Limits"]
    other = ProjectFactory()
    assert send(client, other, other.keys.get()).status_code == 200


def test_backlog_bound_answers_429_and_queues_nothing(client, ingest_queue, settings):
    project = ProjectFactory()
    key = project.keys.get()
    settings.INGEST_MAX_BACKLOG = 2
    assert [send(client, project, key).status_code for _ in range(3)] == [200, 200, 200]
    handoff._State.backlog_checked = 0.0
    response = send(client, project, key)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert ingest_queue.backlog() == 3


def test_spool_keeps_payloads_when_the_queue_is_away_and_replays_them(
    client, ingest_queue, settings, tmp_path, monkeypatch
):
    project = ProjectFactory()
    key = project.keys.get()
    spool = Spool(tmp_path / "spool")
    monkeypatch.setattr(handoff, "get_spool", lambda: spool)

    def broken_push(payload):
        raise OSError("queue unreachable")

    real_push = ingest_queue.push
    monkeypatch.setattr(ingest_queue, "push", broken_push)
    ids = [send(client, project, key).json()["id"] for _ in range(3)]
    assert len(spool) == 3 and ingest_queue.backlog() == 0

    monkeypatch.setattr(ingest_queue, "push", real_push)
    assert handoff.replay_spool() == 3
    assert len(spool) == 0
    queued = [m.payload.event_id for m in ingest_queue.read(10, 60)]
    assert queued == ids


def test_spool_round_trip_keeps_every_field_and_skips_partial_files(tmp_path):
    spool = Spool(tmp_path)
    payload = QueuedPayload(7, "a" * 32, time.time(), "store", "gzip", b"\x00body\xff", "::1")
    spool.append(payload)
    (tmp_path / "tmp" / "partial.payload").write_bytes(b"\x00\x00")  # a crash mid-write
    pushed = []
    assert spool.replay(pushed.append) == 1
    assert pushed == [payload]


def test_spool_replay_stops_at_the_first_failed_push_and_keeps_the_rest(tmp_path):
    spool = Spool(tmp_path)
    for n in range(3):
        spool.append(QueuedPayload(1, f"{n:032x}", time.time(), "store", "", b"{}", None))
    calls = []

    def flaky(payload):
        calls.append(payload.event_id)
        if len(calls) == 2:
            raise ConnectionError("down again")

    with pytest.raises(ConnectionError):
        spool.replay(flaky)
    assert len(spool) == 2


def test_known_key_keeps_working_from_cache_while_the_database_is_down(monkeypatch):
    project = ProjectFactory()
    key = project.keys.get()
    keys.clear()
    assert keys.lookup(key.public_key).project_id == project.id  # loads and shares it
    keys.clear()  # a new process: nothing in memory

    def down(public_key):
        raise OperationalError("connection refused")

    monkeypatch.setattr(keys, "_load", down)
    assert keys.lookup(key.public_key).project_id == project.id
    with pytest.raises(keys.KeysUnavailable):
        keys.lookup(uuid.uuid4().hex)  # never seen: in no cache
