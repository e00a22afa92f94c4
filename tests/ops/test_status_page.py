"""The staff status page: in system Chromium against the real web server (what it shows
after a known load, and its replay button), and who may see it."""

import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest

from events.models import Event, FailedPayload
from events.processing import drain, prepare
from events.queue import QueuedPayload
from ops import collect, tasks
from ops.models import PipelineSample
from tests.support.browser import ARTIFACTS, log_in
from tests.support.factories import ProjectFactory, UserFactory
from tests.support.payloads import auth_header, envelope, python_error
from tests.support.stack import wait_until


def post(base, path, body, key) -> int:
    request = urllib.request.Request(base + path, data=body, method="POST", headers={
        "X-Sentry-Auth": auth_header(key), "Content-Type": "application/x-sentry-envelope"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.e2e
def test_status_page_shows_the_pipeline_and_replays_a_failed_payload(
    live_web, page, transactional_db, ingest_queue, monkeypatch
):
    UserFactory(username="operator", is_staff=True)
    project = ProjectFactory()
    key = project.keys.get().public_key
    first = tasks.sample()
    # A known load through the real server: 3 accepted, 2 refused for an unknown key.
    for _ in range(3):
        assert post(live_web, f"/api/{project.id}/envelope/", envelope(python_error()), key) == 200
    for _ in range(2):
        assert (
            post(live_web, f"/api/{project.id}/envelope/", envelope(python_error()), "0" * 32)
            == 403
        )

    def counted():  # the web process flushes its tally once a second
        totals = collect.counter_totals()
        by_reason = tasks._by_label(totals, "aggregator_events_refused_total", "reason")
        return by_reason.get("unknown_key", 0) - first.refused.get("unknown_key", 0) >= 2

    wait_until(counted, what="the web's counts in the metrics files")
    # Two queued events wait; a third fails in a processing step (a bug of ours).
    real_prepare = prepare.prepare
    monkeypatch.setattr(prepare, "prepare", lambda p, *_a: (_ for _ in ()).throw(RuntimeError("bug <b>x</b>")))  # fmt: skip
    ingest_queue.clear()
    failing = python_error()
    ingest_queue.push(QueuedPayload(project.id, failing["event_id"], time.time(), "envelope", "",
                                    envelope(failing)))  # fmt: skip
    drain.process_batch()
    failed = FailedPayload.objects.get()
    for _ in range(2):
        event = python_error()
        ingest_queue.push(QueuedPayload(project.id, event["event_id"], time.time() - 30,
                                        "envelope", "", envelope(event)))  # fmt: skip
    # Samples a minute apart: the earlier one moved back, so the rate is exact.
    PipelineSample.objects.filter(pk=first.pk).update(taken=first.taken - timedelta(seconds=60))
    tasks.sample()

    log_in(page, live_web, "operator")
    page.click("nav >> text=Status")
    page.wait_for_selector("#queue")
    assert page.text_content("[data-testid=queue-depth]") == "2"
    assert float(page.text_content("[data-testid=queue-lag]")) >= 30
    assert page.locator("#queue svg.chart").count() == 2
    assert page.locator("#queue svg.chart").first.locator("rect").count() == 60
    envelope_row = page.locator("#ingest tr[data-protocol=envelope] td")
    assert envelope_row.nth(2).text_content() == "0.05"  # 3 in 60 s
    refused_row = page.locator("#ingest tr[data-reason=unknown_key] td")
    assert refused_row.nth(2).text_content() == "0.03"  # 2 in 60 s
    assert page.locator("#processes tr[data-component=worker] td").nth(1).text_content() == "ok"
    row = page.locator(f"#failed tr[data-failed='{failed.pk}']")
    assert "RuntimeError: bug <b>x</b>" in row.text_content()  # shown as text, escaped
    assert page.locator("#failed b").count() == 0
    page.screenshot(path=str(ARTIFACTS / "status_page.png"), full_page=True)

    # The bug is fixed: replay it from the page.
    monkeypatch.setattr(prepare, "prepare", real_prepare)
    row.locator("button", has_text="Replay").click()
    page.wait_for_selector("text=1 failed payload(s) queued again.")
    assert page.locator(f"#failed tr[data-failed='{failed.pk}']").count() == 0
    while drain.process_batch():
        pass
    assert Event.objects.filter(event_id=failing["event_id"]).count() == 1
    assert not FailedPayload.objects.exists()


@pytest.mark.django_db
def test_status_page_is_for_staff_only(client):
    assert client.get("/-/status/").status_code == 302  # to the login page
    client.force_login(UserFactory(username="member"))
    assert client.get("/-/status/").status_code == 403
    assert client.post("/-/status/replay/").status_code == 403
    client.force_login(UserFactory(username="boss", is_staff=True))
    response = client.get("/-/status/")
    assert response.status_code == 200 and b"Failed payloads" in response.content
    assert client.get("/-/status/replay/").status_code == 405
    assert client.post("/-/status/replay/", {"id": "x"}).status_code == 400
