"""A digest through the real processes: an event over HTTP, grouped by the Celery worker, the
beat task run by that worker, the mail received by a real SMTP server, and the one-click
unsubscribe link posted to the real web server."""

import json
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from digests import tasks
from digests.models import DigestRecord, NotificationSettings
from digests.periods import latest_boundary
from events.models import Issue
from tests.support.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.support.payloads import auth_header, python_error
from tests.support.stack import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def mail_env(smtp_server, monkeypatch):
    """The worker process sends to the test's SMTP server (live_stack copies os.environ)."""
    from django.conf import settings

    monkeypatch.setenv("EMAIL_URL", f"smtp://{settings.EMAIL_HOST}:{settings.EMAIL_PORT}")
    return smtp_server


def test_digest_sent_by_the_worker(mail_env, live_stack):
    project = ProjectFactory(name="Shop", slug="shop")
    user = UserFactory(username="erin", date_joined=datetime(2026, 1, 1, tzinfo=UTC))
    MembershipFactory(user=user, organization=project.organization)
    project.alert_rules.all().delete()  # this test is about the digest, not immediate alerts
    # Daily, at an hour that passed a while ago (the worker runs on the real clock).
    now = datetime.now(UTC)
    hour = (now - timedelta(hours=3)).hour
    NotificationSettings.objects.create(user=user, digest_frequency="daily", digest_hour=hour)

    # An event from an hour before that digest time (SDKs may send late), over HTTP.
    happened = latest_boundary("daily", hour, 0, "UTC", now) - timedelta(hours=1)
    event = python_error(type_="CheckoutError", value="<b>basket</b> empty")
    event["timestamp"] = happened.isoformat()
    key = project.keys.get().public_key
    request = urllib.request.Request(
        f"{live_stack.base_url}/api/{project.id}/store/",
        data=json.dumps(event).encode(),
        headers={"X-Sentry-Auth": auth_header(key), "Content-Type": "application/json"},
    )
    assert urllib.request.urlopen(request, timeout=10).status == 200
    wait_until(lambda: Issue.objects.filter(project=project).exists(), what="stored issue")
    issue = Issue.objects.get(project=project)
    # The issue was made just now, inside a period that closes at the next boundary; move its
    # creation into the period that is due, as if it had arrived then (the worker runs on the
    # real clock; waiting for a real boundary is not an option in a test).
    Issue.objects.filter(pk=issue.pk).update(created=happened)

    tasks.send_digests.delay()
    tasks.send_digests.delay()  # a duplicated beat
    (message,) = mail_env.wait_for(1, timeout=30)
    wait_until(lambda: DigestRecord.objects.filter(user=user, sent_at__isnull=False).exists())
    assert message["To"] == "erin@example.com"
    assert message["Subject"] == "[Aggregator] 1 new issue in shop"
    html = message.get_body(("html",)).get_content()
    assert f'href="{live_stack.base_url}/issues/{issue.pk}/"' in html
    assert "&lt;b&gt;basket&lt;/b&gt;" in html and "<b>basket" not in html

    unsubscribe = "".join(message["List-Unsubscribe"].split()).strip("<>")
    assert unsubscribe.startswith(live_stack.base_url + "/notifications/unsubscribe/")
    one_click = urllib.request.Request(unsubscribe, data=b"List-Unsubscribe=One-Click")
    assert urllib.request.urlopen(one_click, timeout=10).status == 200
    prefs = NotificationSettings.objects.get(user=user)
    assert prefs.digest_frequency == "off" and not prefs.immediate_email

    def both_beats_done():
        lines = live_stack.log_text().splitlines()
        return sum("send_digests[" in line and "succeeded" in line for line in lines) == 2

    wait_until(both_beats_done, what="both beat tasks")
    assert len(mail_env.messages) == 1  # the duplicated beat sent nothing more
