"""Real processes: quotas against the real sentry-sdk, every filter through the real edge
and worker, and outcomes that add up for a mixed run. Runs on SQLite by default and on
PostgreSQL with DATABASE_URL (see README, Tests)."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from events.models import Event, Issue
from outcomes.models import OutcomeCount
from tests.support.factories import ProjectFactory, ProjectKeyFactory
from tests.support.payloads import auth_header, envelope, python_error
from tests.support.stack import wait_until

from .conftest import counts

pytestmark = pytest.mark.e2e
CLIENT = Path(__file__).with_name("quota_client.py")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
IE9 = "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"


def post(stack, project_id, public_key, body, kind="store", user_agent="sentry.python/2.0"):
    request = urllib.request.Request(
        f"{stack.base_url}/api/{project_id}/{kind}/", data=body, method="POST",
        headers={"X-Sentry-Auth": auth_header(public_key), "User-Agent": user_agent,
                 "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def send(stack, project, event, **kw):
    key = project.keys.order_by("pk").first().public_key
    return post(stack, project.id, key, json.dumps(event).encode(), **kw)


def total(project, outcome=None) -> int:
    rows = OutcomeCount.objects.filter(project=project, category="error")
    if outcome:
        rows = rows.filter(outcome=outcome)
    return sum(rows.values_list("quantity", flat=True))


def test_the_sdk_stops_sending_for_the_announced_period(live_stack):
    project = ProjectFactory(rate_limit_per_minute=2)
    dsn = project.keys.get().dsn(live_stack.base_url)
    run = subprocess.run([sys.executable, str(CLIENT), dsn], capture_output=True, text=True,
                         timeout=150)  # fmt: skip
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["sent_before_limit"] == 3  # two taken, the third answered 429
    assert 0 < seen["announced"] <= 60  # what Retry-After / X-Sentry-Rate-Limits said
    assert seen["after_id"]

    # The server saw the three, not the back-off's three, then the one after it; the SDK
    # reported the ones it held back itself.
    expected = {
        ("error", "accepted", ""): 3,
        ("error", "rate_limited", "project_rate_limited"): 1,
        ("error", "client_discard", "ratelimit_backoff"): 3,
    }
    wait_until(lambda: counts(project) == expected, timeout=60,
               what=lambda: f"outcomes {counts(project)}")  # fmt: skip
    assert Event.objects.filter(project=project, event_id=seen["after_id"]).exists()
    assert Event.objects.filter(project=project).count() == 3


def extension_error():
    event = python_error(type_="TypeError", value="x is undefined")
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    frames[-1]["abs_path"] = "moz-extension://1234/content.js"
    return event


def browser(user_agent, url="https://shop.example.com/"):
    return python_error(request={"url": url, "headers": {"User-Agent": user_agent}})


def test_every_filter_on_both_sides_through_the_edge_and_worker(live_stack):
    project = ProjectFactory(
        filter_localhost=True, filter_browser_extensions=True, filter_legacy_browsers=True,
        filter_web_crawlers=True, filter_messages="*database timeout*",
        filter_releases="*-beta", filter_ip_ranges="192.0.2.0/24",
    )  # fmt: skip
    # (event, user agent of the request, dropped by)
    cases = [
        (browser(CHROME, url="http://localhost:3000/"), CHROME, "localhost"),
        (browser(CHROME), CHROME, None),
        (extension_error(), CHROME, "browser-extensions"),
        (python_error(type_="TypeError", value="x is undefined"), CHROME, None),
        (browser(IE9), IE9, "legacy-browsers"),
        (python_error(value="database timeout after 30s"), "sentry.python/2.0", "error-message"),
        (python_error(value="database is locked"), "sentry.python/2.0", None),
        (python_error(release="3.0-beta"), "sentry.python/2.0", "release-version"),
        (python_error(release="3.0"), "sentry.python/2.0", None),
        (python_error(user={"ip_address": "192.0.2.9"}), "sentry.python/2.0", "ip-address"),
        (python_error(user={"ip_address": "198.51.100.9"}), "sentry.python/2.0", None),
        (python_error(), GOOGLEBOT, "web-crawlers"),  # the request's agent: at the edge
        (browser("python-requests/2.31"), "sentry.python/2.0", "web-crawlers"),  # the event's
    ]
    statuses = [send(live_stack, project, event, user_agent=ua) for event, ua, _ in cases]
    assert statuses == [403 if ua == GOOGLEBOT else 200 for _, ua, _ in cases]
    # the edge's IP filter: this machine is 127.0.0.1
    local = ProjectFactory(filter_ip_ranges="127.0.0.0/8")
    assert send(live_stack, local, python_error()) == 403
    unrelated = ProjectFactory(filter_ip_ranges="10.0.0.0/8")
    assert send(live_stack, unrelated, python_error()) == 200

    kept = {e["event_id"] for e, _, by in cases if by is None}
    expected = {("error", "accepted", ""): len(kept)}
    for _, _, by in cases:
        if by:
            key = ("error", "filtered", by)
            expected[key] = expected.get(key, 0) + 1
    wait_until(lambda: counts(project) == expected, timeout=60,
               what=lambda: f"outcomes {counts(project)} != {expected}")  # fmt: skip
    assert set(Event.objects.filter(project=project).values_list("event_id", flat=True)) == kept
    wait_until(lambda: counts(local) == {("error", "filtered", "ip-address"): 1},
               what=lambda: f"{counts(local)}")  # fmt: skip
    wait_until(lambda: counts(unrelated) == {("error", "accepted", ""): 1})


def test_outcomes_add_up_for_a_mixed_run(live_stack):
    """sent = accepted + filtered + rate-limited + invalid, each with its reason; events past
    the per-issue cap are accepted (counted on the issue, only sampled into storage)."""
    project = ProjectFactory(
        filter_messages="*ignore me*", filter_web_crawlers=True, events_per_issue=3
    )
    limited = ProjectKeyFactory(project=project, rate_limit_per_minute=1).public_key
    default_key = project.keys.order_by("pk").first().public_key
    statuses = []
    for _ in range(5):
        statuses.append(send(live_stack, project, python_error()))
    for _ in range(2):
        statuses.append(send(live_stack, project, python_error(value="please ignore me")))
    statuses.append(send(live_stack, project, python_error(), user_agent=GOOGLEBOT))
    for _ in range(3):
        statuses.append(post(live_stack, project.id, limited, json.dumps(python_error()).encode()))
    for body in (b"{broken", b'"a string"'):
        statuses.append(post(live_stack, project.id, default_key, body))
    with_transaction = envelope(python_error(), [({"type": "transaction"}, b"{}")])
    statuses.append(post(live_stack, project.id, default_key,
                         with_transaction, kind="envelope"))  # fmt: skip
    sent = len(statuses)
    assert statuses.count(200) == 5 + 2 + 1 + 1 and statuses.count(429) == 2
    assert statuses.count(400) == 2 and statuses.count(403) == 1

    wait_until(lambda: total(project) == sent, timeout=60,
               what=lambda: f"{total(project)} of {sent} accounted for: {counts(project)}")  # fmt: skip
    assert counts(project) == {
        ("error", "accepted", ""): 7,
        ("error", "filtered", "error-message"): 2,
        ("error", "filtered", "web-crawlers"): 1,
        ("error", "rate_limited", "key_rate_limited"): 2,
        ("error", "invalid", "bad_payload"): 1,
        ("error", "invalid", "bad_json"): 1,
        ("transaction", "filtered", "not stored"): 1,
    }
    (issue,) = Issue.objects.filter(project=project)
    assert total(project, "accepted") == issue.times_seen == 7
    assert issue.stored_count == Event.objects.filter(project=project).count() <= 3
