"""Unmodified sentry-sdk against the real web server and Celery worker."""

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from events.models import Event, Issue
from tests.support.extra_packages import SENTRY_SDK_1, require
from tests.support.factories import ProjectFactory
from tests.support.payloads import envelope, python_error
from tests.support.stack import wait_until

pytestmark = pytest.mark.e2e
CLIENT = Path(__file__).with_name("sdk_client.py")


@pytest.fixture(scope="session")
def sentry_sdk_1():
    """sentry-sdk 1.x (posts errors to /store/), which ./test.sh installs beside the current one."""
    return require(SENTRY_SDK_1)


@pytest.mark.parametrize("sdk, algo", [("2", "gzip"), ("2", "br"), ("1", "gzip")])
def test_sentry_sdk_events_are_grouped(live_stack, request, sdk, algo):
    project = ProjectFactory()
    dsn = project.keys.get().dsn(live_stack.base_url)
    env = None
    if sdk == "1":
        env = {**os.environ, "PYTHONPATH": str(request.getfixturevalue("sentry_sdk_1"))}
    run = subprocess.run([sys.executable, str(CLIENT), dsn, algo], capture_output=True, text=True,
                         timeout=60, env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr
    if sdk == "1":
        assert "/1.45.1" in subprocess.run(
            [sys.executable, "-c", "import sentry_sdk; print('/' + sentry_sdk.VERSION)"],
            capture_output=True, text=True, env=env,
        ).stdout  # fmt: skip
    ids = json.loads(run.stdout)
    sent = [i for group in ids.values() for i in group]
    assert len(sent) == 9 and all(sent)

    wait_until(lambda: Event.objects.filter(project=project).count() == 9, what="9 stored events")
    issue_of = {case: {Event.objects.get(project=project, event_id=i).issue_id for i in group}
                for case, group in ids.items()}  # fmt: skip
    assert all(len(issues) == 1 for issues in issue_of.values()), issue_of
    assert len({next(iter(s)) for s in issue_of.values()}) == 4
    issues = {case: Issue.objects.get(id=next(iter(s))) for case, s in issue_of.items()}

    chained = issues["chained"]
    assert chained.title == "ValueError: invalid amount '0'"
    assert chained.culprit == "__main__ in parse_amount"
    assert chained.times_seen == 3 and chained.type == "error"
    assert chained.first_release == "e2e@1.0"
    event = Event.objects.get(event_id=ids["chained"][0])
    types = [e["type"] for e in event.data["exception"]["values"]]
    assert types == ["ZeroDivisionError", "ValueError"]
    assert event.environment == "test"

    assert issues["message"].times_seen == 2 and issues["message"].type == "default"
    assert issues["message"].title == "Payment 1 declined by gateway"
    assert issues["logging"].times_seen == 2
    assert issues["logging"].title == "User alice not found"
    assert issues["logging"].level == "error"
    assert issues["fingerprint"].times_seen == 2
    assert Issue.objects.filter(project=project).count() == 4


def test_chunked_body_with_key_in_query_like_node(live_stack):
    """@sentry/node: no auth header, key in the query, chunked body without Content-Length."""
    project = ProjectFactory()
    key = project.keys.get().public_key
    event = python_error(platform="node")
    body = envelope(event)
    host, port = live_stack.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    path = f"/api/{project.id}/envelope/?sentry_version=7&sentry_key={key}&sentry_client=sentry.javascript.node%2F8.55.2"
    conn.putrequest("POST", path)
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for start in range(0, len(body), 100):
        chunk = body[start : start + 100]
        conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    conn.send(b"0\r\n\r\n")
    response = conn.getresponse()
    assert response.status == 200, response.read()
    assert json.loads(response.read()) == {"id": event["event_id"]}
    wait_until(lambda: Event.objects.filter(project=project, event_id=event["event_id"]).exists(),
               what="stored chunked event")  # fmt: skip


def test_browser_preflight_and_cors_headers_on_the_real_server(live_stack):
    """Ingest runs outside Django's middleware (events/ingest/wsgi.py): CORS must still hold."""
    project = ProjectFactory()
    host, port = live_stack.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request(
        "OPTIONS",
        f"/api/{project.id}/envelope/",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    response = conn.getresponse()
    response.read()
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") == "*"
    assert "x-sentry-auth" in response.getheader("Access-Control-Allow-Headers")
    key = project.keys.get().public_key
    conn.request("POST", f"/api/{project.id}/store/?sentry_key={key}", body=b"{not json",
                 headers={"Origin": "https://shop.example", "Content-Type": "text/plain"})  # fmt: skip
    response = conn.getresponse()
    assert response.status == 400 and response.getheader("Access-Control-Allow-Origin") == "*"
    assert "retry-after" in response.getheader("Access-Control-Expose-Headers")
    assert json.loads(response.read())["detail"]
