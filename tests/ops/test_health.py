"""/-/health/ and /-/ready/ in the embedded default (SQLite, SQLite queue, folder broker).
With PostgreSQL and Redis stopped in turn: tests/faults/test_readiness.py."""

import io
import json
import socket
import time

import pytest

from aggregator import heartbeat
from events.ingest import handoff
from events.processing import drain
from ops import checks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_heartbeats(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    handoff.get_spool.cache_clear()
    heartbeat._written.clear()
    if settings.REDIS_URL:  # heartbeats live in Redis then
        for component in heartbeat.COMPONENTS:
            heartbeat._redis(settings.REDIS_URL).delete(heartbeat._KEY + component)
    yield
    handoff.get_spool.cache_clear()
    heartbeat._written.clear()


def wsgi_get(path, host="10.1.2.3:8000", **headers):
    """Through the production WSGI application, as a load balancer asks: by IP address."""
    from aggregator.wsgi import application

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
               "HTTP_HOST": host, "wsgi.input": io.BytesIO(b""), "SERVER_NAME": "10.1.2.3",
               "SERVER_PORT": "8000", "wsgi.url_scheme": "http"}  # fmt: skip
    environ.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(application(environ, start_response))
    return int(seen["status"].split()[0]), seen["headers"], body


def test_health_answers_without_the_database_or_an_allowed_host(django_assert_num_queries):
    with django_assert_num_queries(0):
        status, headers, body = wsgi_get("/-/health/")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert headers["Cache-Control"] == "no-store"


def test_ready_reports_each_check_with_its_time(client):
    response = client.get("/-/ready/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and body["ingest"] == "accepting"
    assert set(body["checks"]) == {"database", "queue", "broker", "spool"}
    for check in body["checks"].values():
        assert check["status"] == "ok" and check["time_ms"] >= 0 and check["error"] == ""
    # Nothing has drained or ticked in this fresh DATA_DIR.
    assert body["heartbeats"] == {
        "worker": {"status": "never", "age_seconds": None},
        "beat": {"status": "never", "age_seconds": None},
    }


def test_ready_through_the_wsgi_wrapper_takes_any_host():
    status, _, body = wsgi_get("/-/ready/")
    assert status == 200 and json.loads(body)["status"] == "ok"


def test_unreachable_queue_fails_readiness(settings, ingest_queue):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.INGEST_QUEUE_URL = f"redis://127.0.0.1:{port}/0"
    status, body = checks.readiness()
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["queue"]["status"] == "fail"
    assert "ConnectionError" in body["checks"]["queue"]["error"]
    # The spool still takes events, so ingest still accepts.
    assert body["ingest"] == "accepting"
    assert body["checks"]["database"]["status"] == "ok"


def test_unwritable_spool_fails_readiness(settings, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "spool").write_text("a file where the spool folder should be")
    status, body = checks.readiness()
    assert status == 503
    assert body["checks"]["spool"]["status"] == "fail"
    assert body["checks"]["queue"]["status"] == "ok" and body["ingest"] == "accepting"


def test_unwritable_folder_broker_fails_readiness(settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    if "data_folder_in" not in options:
        pytest.skip("the folder broker is not configured (CELERY_BROKER_URL is set)")
    options["data_folder_in"] = str(blocker / "broker")
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
    status, body = checks.readiness()
    assert status == 503 and body["checks"]["broker"]["status"] == "fail"


def test_a_drain_records_the_worker_heartbeat(ingest_queue):
    before = time.time()
    drain.drain(time_budget=1, linger=0)
    beats = checks.heartbeats()
    assert beats["worker"]["status"] == "ok" and beats["worker"]["age_seconds"] < 30
    assert before <= heartbeat.last("worker") <= time.time()


def test_an_old_heartbeat_is_stale_but_not_fatal(client):
    heartbeat.beat("beat")
    stamp = heartbeat.last("beat")
    beats = checks.heartbeats(now=stamp + checks.HEARTBEAT_STALE + 5)
    assert beats["beat"] == {"status": "stale", "age_seconds": pytest.approx(35, abs=0.2)}
    assert client.get("/-/ready/").status_code == 200


def test_beat_scheduler_records_a_tick(tmp_path):
    from aggregator.celery import app
    from ops.beat import HeartbeatScheduler

    scheduler = HeartbeatScheduler(app, schedule_filename=str(tmp_path / "schedule"))
    try:
        scheduler.tick()
    finally:
        scheduler.close()
    assert heartbeat.last("beat") is not None
