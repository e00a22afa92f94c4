"""/metrics: a known load through the real web server and worker, then a scrape whose
counters (summed over every process) match it."""

import os
import urllib.error
import urllib.request
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from events.models import Event
from tests.support.payloads import auth_header, envelope, python_error
from tests.support.stack import wait_until

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def live_stack_env():
    return {"METRICS_TOKEN": TOKEN}


def scrape(base_url: str, token: str | None = TOKEN) -> dict:
    request = urllib.request.Request(base_url + "/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def post(base_url, path, body, headers) -> int:
    request = urllib.request.Request(base_url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_scrape_after_a_known_load_matches_the_counts(live_stack, project, key):
    base = live_stack.base_url
    before = scrape(base)
    sent = 12
    for _ in range(sent):
        event = python_error()
        event["event_id"] = uuid.uuid4().hex
        status = post(base, f"/api/{project.id}/envelope/", envelope(event), {
            "X-Sentry-Auth": auth_header(key.public_key),
            "Content-Type": "application/x-sentry-envelope",
        })  # fmt: skip
        assert status == 200
    for _ in range(3):  # refused: a key nobody has
        status = post(base, f"/api/{project.id}/store/", b"{}", {
            "X-Sentry-Auth": auth_header("0" * 32), "Content-Type": "application/json",
        })  # fmt: skip
        assert status == 403
    status = post(base, f"/api/{project.id}/store/", b"not json", {
        "X-Sentry-Auth": auth_header(key.public_key), "Content-Type": "application/json",
    })  # fmt: skip
    assert status == 400

    wait_until(lambda: Event.objects.filter(project=project).count() == sent,
               what=live_stack.log_text)  # fmt: skip

    # Each process flushes its edge tally once a second: wait for the counts to arrive.
    def counted():
        now = scrape(base)
        grew = {
            ("aggregator_events_stored_total", ()): sent,
            ("aggregator_events_received_total", (("protocol", "envelope"),)): sent,
            ("aggregator_ingest_duration_seconds_count", (("protocol", "store"),)): 4,
        }
        return all(now.get(k, 0) - before.get(k, 0) >= n for k, n in grew.items())

    wait_until(counted, what="the load in /metrics")
    after = scrape(base)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("aggregator_events_received_total", protocol="envelope") == sent
    assert delta("aggregator_events_refused_total", protocol="store", reason="unknown_key") == 3
    assert delta("aggregator_events_refused_total", protocol="store", reason="bad_payload") == 1
    assert delta("aggregator_ingest_duration_seconds_count", protocol="envelope") == sent
    assert delta("aggregator_ingest_duration_seconds_count", protocol="store") == 4
    assert delta("aggregator_ingest_duration_seconds_sum", protocol="envelope") > 0
    assert delta("aggregator_events_stored_total") == sent
    # Every message read went through a counted batch (the worker's prefork children).
    assert delta("aggregator_batch_events_sum") == sent
    assert delta("aggregator_batch_duration_seconds_count") >= 1
    assert delta("aggregator_failed_payloads_total") == 0
    # Gauges of shared state, read at the scrape.
    assert value(after, "aggregator_queue_depth") == 0
    assert value(after, "aggregator_queue_oldest_age_seconds") == 0
    assert value(after, "aggregator_queue_up") == 1
    assert value(after, "aggregator_spool_payloads") == 0
    assert value(after, "aggregator_heartbeat_age_seconds", component="worker") < 60


def test_metrics_needs_the_token(live_stack):
    for token in (None, "wrong"):
        with pytest.raises(urllib.error.HTTPError) as raised:
            scrape(live_stack.base_url, token=token)
        assert raised.value.code == 401


def test_a_wrong_token_of_any_characters_is_refused(client, settings):
    settings.METRICS_TOKEN = "right"
    for given in ("Bearer wröng", "Bearer ", "Basic right", "right", "Bearer right2"):
        assert client.get("/metrics", HTTP_AUTHORIZATION=given).status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer right").status_code == 200


def test_without_a_token_metrics_is_not_on_the_web_port(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_the_edge_tally_reaches_the_shared_files_on_flush():
    from aggregator import metrics
    from ops.collect import process_samples

    def totals():
        # Through the collector /metrics uses: another test's process may have just
        # created its file and not yet sized it.
        return {(s.name, tuple(sorted(s.labels.items()))): s.value for s in process_samples()}

    metrics.ensure()
    metrics.flush()
    before = totals()
    for seconds in (0.0001, 0.003, 0.003, 2.0):
        metrics.ingest_observed("tally-test", None, seconds)
    metrics.ingest_observed("tally-test", "too_large", 0.0001)
    metrics.ingest_counted("tally-test", None, 5)
    metrics.flush()
    after = totals()

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("aggregator_events_received_total", protocol="tally-test") == 9
    assert delta("aggregator_events_refused_total", protocol="tally-test", reason="too_large") == 1
    assert delta("aggregator_ingest_duration_seconds_count", protocol="tally-test") == 5
    assert delta("aggregator_ingest_duration_seconds_sum", protocol="tally-test") == pytest.approx(
        2.0062
    )
    # Cumulative buckets: 0.0001 twice under 0.5 ms, the 3 ms ones by 5 ms, 2 s only in +Inf.
    assert (
        delta("aggregator_ingest_duration_seconds_bucket", protocol="tally-test", le="0.0005") == 2
    )
    assert (
        delta("aggregator_ingest_duration_seconds_bucket", protocol="tally-test", le="0.005") == 4
    )
    assert delta("aggregator_ingest_duration_seconds_bucket", protocol="tally-test", le="1.0") == 4
    assert delta("aggregator_ingest_duration_seconds_bucket", protocol="tally-test", le="+Inf") == 5


def test_metricsserver_serves_every_process_on_its_own_bind(tmp_path):
    """Without a token: `manage.py metricsserver` on an address of its own."""
    import subprocess
    import sys

    from tests.support.stack import APP_ENV, ROOT, free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in APP_ENV and k != "PROMETHEUS_MULTIPROC_DIR"}  # fmt: skip
    env.update(DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "manage.py", "metricsserver", "--bind", f"127.0.0.1:{port}"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:

        def answers():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    return r.read().decode()
            except OSError:
                return None

        wait_until(lambda: answers() is not None, what="metricsserver")
        text = answers()
        assert "aggregator_queue_depth 0.0" in text
        assert "aggregator_events_stored_total 0.0" in text  # this process's own, made at start
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_metrics_file_not_yet_sized_is_skipped_not_a_500():
    """A process that has just created its file: the scrape must not fail on it."""
    from ops import collect

    collect.counter_totals()  # this process's own files exist
    empty = os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "counter_new-999999.db")
    open(empty, "wb").close()
    try:
        assert isinstance(collect.counter_totals(), dict)
        assert collect.exposition()
    finally:
        os.unlink(empty)
