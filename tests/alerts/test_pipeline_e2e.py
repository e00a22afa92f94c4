"""The whole way: sentry-sdk -> real web server -> real Celery worker (grouping, rule
evaluation, delivery task) -> real SMTP server."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.models import Sum

from alerts.models import Delivery, IssueMinuteCount, NotificationRule
from events.models import Event, Issue
from projects.models import Membership
from tests.support.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.support.stack import wait_until

pytestmark = pytest.mark.e2e
CLIENT = Path(__file__).with_name("alerts_client.py")


@pytest.fixture
def live_stack_env(smtp_server, settings):
    """The worker mails the test's SMTP server and retries quickly."""
    return {"EMAIL_HOST": settings.EMAIL_HOST, "EMAIL_PORT": str(settings.EMAIL_PORT),
            "ALERTS_RETRY_BASE_SECONDS": "0.2", "ALERTS_WEBHOOK_ALLOW_PRIVATE": "true"}  # fmt: skip


def wait(stack, predicate, timeout, what):
    """wait_until, showing the server and worker logs when it times out."""
    try:
        wait_until(predicate, timeout=timeout, what=what)
    except AssertionError:
        print(stack.log_text())
        raise


def send(dsn: str, mode: str, count: int = 1) -> list[str]:
    run = subprocess.run([sys.executable, str(CLIENT), dsn, mode, str(count)],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def evaluation_counter(project) -> NotificationRule:
    """A rule that never fires and only counts: every rule evaluation adds its batch's events
    to the per-minute counters of frequency rules, in the same transaction that creates the
    batch's deliveries. Once the counters add up to the stored events, every evaluation of
    them has committed, retried ones included, whatever order the worker ran them in."""
    return NotificationRule.objects.create(
        project=project, name="counts evaluated events", on_frequency=True,
        frequency_count=10**9, frequency_minutes=1,
    )  # fmt: skip


def evaluated(project) -> int:
    counts = IssueMinuteCount.objects.filter(issue__project=project)
    return counts.aggregate(n=Sum("count"))["n"] or 0


# `ingest_queue` empties the shared queue first: a stale payload of a project an earlier test
# deleted fails its batch at COMMIT on PostgreSQL (deferred foreign key) and holds up the rest.
def test_sdk_events_give_exactly_the_right_emails(ingest_queue, live_stack, smtp_server):
    project = ProjectFactory(slug="shop")
    MembershipFactory(user=UserFactory(username="ann"), organization=project.organization,
                      role=Membership.Role.OWNER)  # fmt: skip
    # The default rule, plus every event (so the throttle has work) and errors only.
    project.alert_rules.update(on_every_event=True, min_level="error", throttle_minutes=30)
    counter = evaluation_counter(project)
    dsn = project.keys.get().dsn(live_stack.base_url)
    stored = lambda n: Event.objects.filter(project=project).count() == n  # noqa: E731

    def all_evaluated(n):
        wait(live_stack, lambda: evaluated(project) >= n, 120,
             lambda: f"the evaluations of {n} events ({evaluated(project)} so far)")  # fmt: skip
        assert evaluated(project) == n  # and none counted twice

    send(dsn, "error")
    (first,) = smtp_server.wait_for(1, timeout=60)
    issue = Issue.objects.get(project=project)
    assert smtp_server.envelopes[0][1] == ["ann@example.com"]
    assert (
        first["Subject"]
        == "[SHOP-1] ValueError: invalid literal for int() with base 10: 'not a number'"
    )
    assert f"{live_stack.base_url}/issues/{issue.pk}/" in first.get_body(("plain",)).get_content()

    send(dsn, "error", 100)
    wait(live_stack, lambda: stored(101), 120, "101 stored events")
    all_evaluated(101)  # so any delivery of theirs exists by now
    assert Delivery.objects.count() == 1, "the throttle let a repeat through"
    assert len(smtp_server.messages) == 1, "the throttle let a repeat through"

    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.RESOLVED)
    send(dsn, "error")
    second = smtp_server.wait_for(2, timeout=60)[1]
    assert second["Subject"] == first["Subject"] and second["References"] == first["References"]
    assert "Regression in" in second.get_body(("plain",)).get_content()

    send(dsn, "warning")  # filtered out by the level
    wait(live_stack, lambda: stored(103), 60, "the warning stored")
    send(dsn, "other")  # a new error issue after it: its email marks the end
    third = smtp_server.wait_for(3, timeout=60)[2]
    assert third["Subject"].startswith("[SHOP-3] KeyError")  # after the error and the warning
    all_evaluated(104)  # every delivery that will ever exist does; now each one's sending
    wait(live_stack, lambda: not Delivery.objects.filter(status="pending").exists(), 60,
         "every delivery sent or failed")  # fmt: skip
    assert len(smtp_server.messages) == 3, [m["Subject"] for m in smtp_server.messages]
    reasons = list(Delivery.objects.order_by("pk").values_list("reason", "status"))
    assert reasons == [("new_issue", "sent"), ("regression", "sent"), ("new_issue", "sent")]
    assert NotificationRule.objects.filter(project=project).exclude(pk=counter.pk).count() == 1


def test_the_worker_retries_a_failing_webhook_with_backoff(
    ingest_queue, live_stack, webhook_server
):
    project = ProjectFactory(slug="api")
    project.alert_rules.update(email_to="", webhook_url=webhook_server.url)
    webhook_server.answer(500, times=2)
    send(project.keys.get().dsn(live_stack.base_url), "error")
    wait(live_stack, lambda: Delivery.objects.filter(status="sent").exists(), 60, "delivered")
    delivery = Delivery.objects.get()
    assert (delivery.attempts, delivery.last_error) == (3, "HTTP 500: ok")
    assert len(webhook_server.requests) == 3
    body = webhook_server.requests[-1]["json"]
    assert body["project"]["slug"] == "api" and body["issue"]["title"].startswith("ValueError")
    assert body["text"].startswith("[api] new issue: ValueError")
