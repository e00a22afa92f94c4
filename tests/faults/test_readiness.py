"""/-/ready/ with each dependency stopped in turn, on the production shape (granian, Celery
worker and beat on throwaway PostgreSQL and Redis): the database away leaves the web
process ready (ingest still accepts, and says so); Redis away (queue and broker) makes it
unready; both recover once the server is back."""

import http.client
import json

import pytest

from .harness import build_request, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.one_pass]


def get(stack, path: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=15)
    try:
        # By IP, with a Host that ALLOWED_HOSTS does not list: as a load balancer asks.
        conn.request("GET", path, headers={"Host": "10.0.0.7:8000"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def send_one(stack, index: int) -> int:
    _event_id, path, headers, body = build_request(index, stack.dsn)
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=15)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_ready_with_each_dependency_stopped_in_turn(
    server_stack, throwaway_postgres, throwaway_redis
):
    stack = server_stack()
    assert send_one(stack, 0) == 200  # the key is cached from here on

    def all_ok():
        status, body = get(stack, "/-/ready/")
        beats = body["heartbeats"]
        return (
            status == 200 and body["status"] == "ok"
            and beats["worker"]["status"] == "ok" and beats["beat"]["status"] == "ok"
        )  # fmt: skip

    wait_until(all_ok, 90, "ready, with worker and beat heartbeats", stack.diagnostics)

    # PostgreSQL away: still ready for ingest, degraded, and events are still accepted.
    throwaway_postgres.stop()
    status, body = get(stack, "/-/ready/")
    assert status == 200, body
    assert body["status"] == "degraded" and body["ingest"] == "accepting"
    assert body["checks"]["database"]["status"] == "fail" and body["checks"]["database"]["error"]
    assert {body["checks"][name]["status"] for name in ("queue", "broker", "spool")} == {"ok"}
    assert send_one(stack, 1) == 200
    assert get(stack, "/-/health/") == (200, {"status": "ok"})
    throwaway_postgres.start()
    wait_until(lambda: get(stack, "/-/ready/")[1]["status"] == "ok", 60,
               "ready again after PostgreSQL is back", stack.diagnostics)  # fmt: skip

    # Redis away (the ingest queue and the broker): not ready; the spool still takes events.
    throwaway_redis.stop()
    status, body = get(stack, "/-/ready/")
    assert status == 503, body
    assert body["status"] == "fail"
    assert body["checks"]["queue"]["status"] == "fail"
    assert body["checks"]["broker"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["spool"]["status"] == "ok" and body["ingest"] == "accepting"
    assert get(stack, "/-/health/") == (200, {"status": "ok"})
    throwaway_redis.start()
    wait_until(lambda: get(stack, "/-/ready/")[0] == 200, 60,
               "ready again after Redis is back", stack.diagnostics)  # fmt: skip

    # Both events (one accepted while the database was away) end up stored.
    wait_until(lambda: stack.stored_count() == 2, 90, "both events stored", stack.diagnostics)
