"""Webhooks against a real local HTTP server: success, retries, no retry on 4xx, guards."""

import pytest

from alerts import webhooks
from alerts.models import Delivery, NotificationRule
from tests.support.payloads import python_error


def webhook_rule(project, url, **fields) -> NotificationRule:
    project.alert_rules.all().delete()
    fields.setdefault("on_new_issue", True)
    return NotificationRule.objects.create(project=project, name="hook", webhook_url=url, **fields)


def test_a_new_issue_posts_json_with_a_slack_text(
    project, store_events, webhook_server, fast_retries
):
    fast_retries.BASE_URL = "https://errors.example.com"
    webhook_rule(project, webhook_server.url)
    (issue,) = store_events(project, python_error(value="<@channel> & <b>", release="shop@1.2"))
    (request,) = webhook_server.requests
    assert request["path"] == "/hooks/abc"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Host"] == webhook_server.url.split("/")[2]
    body = request["json"]
    url = f"https://errors.example.com/issues/{issue.pk}/"
    assert body["issue"] == {
        "id": issue.pk, "title": "ValueError: <@channel> & <b>", "culprit": issue.culprit,
        "level": "error", "status": "unresolved", "count": 1,
        "first_seen": issue.first_seen.isoformat(), "last_seen": issue.last_seen.isoformat(),
        "first_release": "shop@1.2", "last_release": "shop@1.2", "url": url,
    }  # fmt: skip
    assert body["project"] == {"id": project.pk, "slug": "backend", "name": "Backend"}
    assert body["reason"] == "new issue" and body["rule"] == "hook"
    assert body["text"].startswith(
        "[backend] new issue: ValueError: &lt;@channel&gt; &amp; &lt;b&gt;"
    )
    assert url in body["text"]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.channel) == ("sent", 1, "webhook")


def test_a_500_is_retried_until_it_succeeds(project, store_events, webhook_server, fast_retries):
    webhook_rule(project, webhook_server.url)
    webhook_server.answer(500)
    store_events(project, python_error())
    assert len(webhook_server.requests) == 2
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert delivery.last_error == "HTTP 500: ok"  # the last failure stays visible


def test_a_timeout_is_retried_then_recorded_as_failed(
    project, store_events, webhook_server, fast_retries
):
    webhook_rule(project, webhook_server.url)
    webhook_server.answer(200, delay=1.0, times=3)  # longer than the 0.5 s timeout
    store_events(project, python_error())
    assert len(webhook_server.requests) == 3
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.last_error == "gave up: timed out after 0.5 s"


def test_a_400_is_recorded_and_not_retried(project, store_events, webhook_server, fast_retries):
    webhook_rule(project, webhook_server.url)
    webhook_server.answer(400)
    store_events(project, python_error())
    assert len(webhook_server.requests) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        "failed",
        1,
        "HTTP 400: ok",
    )


def test_redirects_are_not_followed(project, store_events, webhook_server, fast_retries):
    webhook_rule(project, webhook_server.url)
    webhook_server.answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data"})
    store_events(project, python_error())
    assert len(webhook_server.requests) == 1
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "not followed" in delivery.last_error


def test_the_throttle_holds_back_repeats(project, store_events, webhook_server, fast_retries):
    webhook_rule(project, webhook_server.url, on_every_event=True, throttle_minutes=30)
    for _ in range(5):
        store_events(project, python_error())
    assert len(webhook_server.requests) == 1


def test_loopback_is_refused_by_default(project, store_events, webhook_server, settings):
    assert settings.ALERTS_WEBHOOK_ALLOW_PRIVATE is False
    webhook_rule(project, webhook_server.url)
    store_events(project, python_error())
    assert webhook_server.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "private, loopback" in delivery.last_error


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/x", "http://192.168.0.1/",
     "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://[::ffff:127.0.0.1]/x",
     "http://0.0.0.0/x"],
)  # fmt: skip
def test_private_targets_are_refused(url, settings):
    with pytest.raises(webhooks.Refused):
        webhooks.resolve_target(url)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http:///x",
                                 "javascript:alert(1)", "http://example.com:99999/"])  # fmt: skip
def test_only_http_urls_with_a_host_are_accepted(url):
    with pytest.raises(webhooks.Refused):
        webhooks.check_syntax(url)


def test_the_apps_own_address_is_refused_even_when_private_is_allowed(settings):
    settings.ALERTS_WEBHOOK_ALLOW_PRIVATE = True
    settings.BASE_URL = "http://127.0.0.1:8000"
    for url in ("http://127.0.0.1:8000/admin/", "http://localhost:8000/admin/auth/user/"):
        with pytest.raises(webhooks.Refused, match="this app itself"):
            webhooks.resolve_target(url)
    webhooks.resolve_target("http://127.0.0.1:8001/hook")  # another port is another service


def test_a_delivery_whose_task_was_lost_is_sent_by_the_sweeper(
    project, store_events, webhook_server, fast_retries
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from alerts import tasks

    webhook_rule(project, webhook_server.url)
    (issue,) = store_events(project, python_error())
    lost = Delivery.objects.create(
        rule=None, rule_name="gone", project=project, issue=issue, reason="new_issue",
        channel="webhook", target=webhook_server.url,
    )  # fmt: skip
    tasks.send_stuck_deliveries()
    assert len(webhook_server.requests) == 1  # too fresh: its task may still be queued
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        tasks.send_stuck_deliveries()
        tasks.send_stuck_deliveries()  # nothing left the second time
    lost.refresh_from_db()
    assert (lost.status, lost.attempts) == ("sent", 1)
    assert len(webhook_server.requests) == 2
