"""Digests end to end: frozen time, the real database, the real beat task, a real SMTP server."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from digests import sending, tasks
from digests.models import DigestRecord
from events.models import Issue

from .conftest import NOW, make_issue, make_user, utc

pytestmark = pytest.mark.django_db


def by_recipient(inbox) -> dict:
    """Each recipient's one message (fails if anyone got two)."""
    pairs = [(to[0], msg) for (_, to), msg in zip(inbox.envelopes, inbox.messages, strict=True)]
    assert len({to for to, _ in pairs}) == len(pairs), [to for to, _ in pairs]
    return dict(pairs)


def parts(message) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


@pytest.fixture
def issues(world):
    w = world
    w.crash = make_issue(w.backend, "KeyError: 'user'", utc(2026, 3, 4, 9, 10), times_seen=7)
    w.slow = make_issue(w.backend, "TimeoutError: db", utc(2026, 3, 4, 9, 50), times_seen=40)
    w.back = make_issue(
        w.backend,
        "ZeroDivisionError",
        utc(2026, 2, 1),
        times_seen=300,
        regressed=True,
        regressed_at=utc(2026, 3, 4, 9, 30),
    )
    w.js = make_issue(w.frontend, "TypeError: x is undefined", utc(2026, 3, 4, 9, 0), 3)
    w.pay = make_issue(w.billing, "CardDeclined", utc(2026, 3, 4, 9, 59, 59), times_seen=2)
    # Outside the period, or ignored: never listed.
    make_issue(w.backend, "Old news", utc(2026, 3, 4, 8, 59, 59), times_seen=1000)
    make_issue(w.backend, "Too new", utc(2026, 3, 4, 10, 0), times_seen=1000)
    make_issue(
        w.backend, "Ignored", utc(2026, 3, 4, 9, 5), times_seen=1000, status=Issue.Status.IGNORED
    )
    return w


def test_beat_twice_sends_each_user_one_digest_of_their_projects(issues, smtp_server):
    w = issues
    with time_machine.travel(NOW):
        first = tasks.send_digests()
        second = tasks.send_digests()
    assert first == {"sent": 3} and second == {}
    assert len(smtp_server.messages) == 3
    mail = by_recipient(smtp_server)
    assert set(mail) == {"ann@example.com", "bob@example.com", "cat@example.com"}

    ann_text, ann_html = parts(mail["ann@example.com"])
    assert mail["ann@example.com"]["Subject"] == (
        "[Aggregator] 3 new and 1 regressed issues in backend, frontend"
    )
    for issue in (w.crash, w.slow, w.back, w.js):
        assert issue.title in ann_text
        assert f"http://localhost:8000/issues/{issue.pk}/" in ann_text
        assert f'href="http://localhost:8000/issues/{issue.pk}/"' in ann_html
    assert "CardDeclined" not in ann_text + ann_html
    for absent in ("Old news", "Too new", "Ignored"):
        assert absent not in ann_text + ann_html
    # Most frequent first within a project; regressions are marked.
    assert ann_text.index("ZeroDivisionError") < ann_text.index("TimeoutError")
    assert ann_text.index("TimeoutError") < ann_text.index("KeyError")
    assert "[regressed] ZeroDivisionError (300 events)" in ann_text
    assert "[new] KeyError: 'user' (7 events)" in ann_text

    bob_text, _ = parts(mail["bob@example.com"])
    assert mail["bob@example.com"]["Subject"] == "[Aggregator] 1 new issue in billing"
    assert "CardDeclined" in bob_text and "KeyError" not in bob_text

    cat_text, cat_html = parts(mail["cat@example.com"])
    assert "CardDeclined" in cat_text and "KeyError" in cat_text
    assert "TypeError" not in cat_text + cat_html  # frontend is muted
    assert mail["cat@example.com"]["Subject"] == (
        "[Aggregator] 3 new and 1 regressed issues in backend, billing"
    )

    records = DigestRecord.objects.order_by("user__username")
    assert [(r.user.username, r.issue_count) for r in records] == [
        ("ann", 4),
        ("bob", 1),
        ("cat", 4),
    ]
    assert all(r.sent_at and r.period_end == utc(2026, 3, 4, 10) for r in records)
    assert all(r.period_start == utc(2026, 3, 4, 9) for r in records)


def test_headers_links_and_unsubscribe(issues, smtp_server, client):
    with time_machine.travel(NOW):
        tasks.send_digests()
    message = by_recipient(smtp_server)["ann@example.com"]
    assert message["From"] == "aggregator@localhost" and message["To"] == "ann@example.com"
    assert message.get_content_type() == "multipart/alternative"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = "".join(message["List-Unsubscribe"].split()).strip("<>")
    assert unsubscribe.startswith("http://localhost:8000/notifications/unsubscribe/")
    text, html = parts(message)
    assert unsubscribe in text and f'href="{unsubscribe}"' in html
    assert "http://localhost:8000/notifications/settings/" in text
    assert "http://localhost:8000/orgs/org-a/projects/backend/" in text
    # The link works without a login, as a mail client's one-click POST (no CSRF token).
    path = unsubscribe.removeprefix("http://localhost:8000")
    client.handler.enforce_csrf_checks = True
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    with time_machine.travel(utc(2026, 3, 4, 11, 1)):
        make_issue(issues.backend, "after unsubscribing", utc(2026, 3, 4, 10, 30))
        tasks.send_digests()
    # ann unsubscribed; cat (also in org A) still gets hers.
    assert [to for _, to in smtp_server.envelopes[3:]] == [["cat@example.com"]]


def test_hostile_titles_are_escaped_and_kept_on_one_line(world, smtp_server):
    title = '<script>alert("x")</script>\r\nSubject: forged\n- [new] Fake <img src=x onerror=1>'
    make_issue(world.billing, title, utc(2026, 3, 4, 9, 30))
    with time_machine.travel(NOW):
        tasks.send_digests()
    message = by_recipient(smtp_server)["bob@example.com"]
    text, html = parts(message)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Subject: forged - [new] Fake" in text  # one line: no forged lines or headers
    assert "\nSubject: forged" not in text
    assert message["Subject"] == "[Aggregator] 1 new issue in billing"


def test_no_secrets_from_the_event(world, smtp_server, ingest_queue):
    """Through the real write path: event data other than the title never reaches the mail."""
    import json
    import time

    from events.processing import drain
    from events.queue import QueuedPayload
    from tests.support.payloads import python_error

    secrets = ["hunter2-pass", "cookie-s3cr3t", "token-abcdef123", "frame-var-secret"]
    event = python_error(
        type_="PaymentError",
        value="card refused",
        extra={"password": secrets[0], "note": secrets[2]},
        request={"url": "https://shop.example/pay", "cookies": {"session": secrets[1]},
                 "headers": {"Authorization": "Bearer " + secrets[2]}},
        tags={"build": secrets[2]},
    )  # fmt: skip
    event["exception"]["values"][0]["stacktrace"]["frames"][-1]["vars"] = {"pw": secrets[3]}
    with time_machine.travel(utc(2026, 3, 4, 9, 40)):
        event["timestamp"] = utc(2026, 3, 4, 9, 40).isoformat()
        body = json.dumps(event).encode()
        ingest_queue.push(
            QueuedPayload(world.billing.id, event["event_id"], time.time(), "store", "", body, "")
        )
        while drain.process_batch():
            pass
    assert Issue.objects.filter(project=world.billing).count() == 1
    with time_machine.travel(NOW):
        tasks.send_digests()
    raw = by_recipient(smtp_server)["bob@example.com"].as_string()
    assert "PaymentError" in raw
    for secret in secrets:
        assert secret not in raw


def test_long_lists_are_capped_with_and_n_more(world, smtp_server, django_assert_num_queries):
    Issue.objects.bulk_create(
        Issue(
            project=world.billing,
            grouping_version="test",
            fingerprint=f"{n:032x}",
            title=f"Error number {n}",
            first_seen=utc(2026, 3, 4, 9, 1),
            created=utc(2026, 3, 4, 9, 1),
            last_seen=utc(2026, 3, 4, 9, 1),
            times_seen=n + 1,
        )
        for n in range(23)
    )
    from digests import selection

    with django_assert_num_queries(3):  # totals, ranked page, projects: whatever the count
        sections = selection.collect(world.bob, utc(2026, 3, 4, 9), utc(2026, 3, 4, 10))
    assert sections[0].total == 23 and len(sections[0].lines) == 20 and sections[0].more == 3
    with time_machine.travel(NOW):
        tasks.send_digests()
    text, html = parts(by_recipient(smtp_server)["bob@example.com"])
    assert "Error number 22 " in text and "Error number 3 " in text
    assert "Error number 2 " not in text  # the three least frequent are left out
    assert "... and 3 more" in text and "3 more</a>" in html
    assert "23 new issues" in by_recipient(smtp_server)["bob@example.com"]["Subject"]


def test_no_empty_digests_but_the_period_is_recorded(world, smtp_server):
    make_issue(world.billing, "CardDeclined", utc(2026, 3, 4, 10, 30))
    with time_machine.travel(NOW):
        assert tasks.send_digests() == {"empty": 3}
    assert smtp_server.messages == []
    assert DigestRecord.objects.filter(issue_count=0, sent_at__isnull=False).count() == 3
    with time_machine.travel(utc(2026, 3, 4, 11, 1, 30)):
        assert tasks.send_digests() == {"sent": 2, "empty": 1}  # bob and cat; ann has nothing
    assert {to[0] for _, to in smtp_server.envelopes} == {"bob@example.com", "cat@example.com"}


def test_a_missed_beat_catches_up_with_one_digest(world, smtp_server):
    with time_machine.travel(utc(2026, 3, 4, 9, 1, 10)):
        tasks.send_digests()  # empty 08:00-09:00 period, recorded
    make_issue(world.billing, "At ten thirty", utc(2026, 3, 4, 10, 30))
    make_issue(world.billing, "At one thirty", utc(2026, 3, 4, 13, 30))
    make_issue(world.billing, "Not yet", utc(2026, 3, 4, 15, 10))
    with time_machine.travel(utc(2026, 3, 4, 15, 20)):  # the beat was down for six hours
        tasks.send_digests()
        tasks.send_digests()
    mail = by_recipient(smtp_server)
    assert len(smtp_server.messages) == 2  # bob and cat, once each
    text, _ = parts(mail["bob@example.com"])
    assert "At ten thirty" in text and "At one thirty" in text and "Not yet" not in text
    record = DigestRecord.objects.get(user=world.bob, issue_count=2)
    assert (record.period_start, record.period_end) == (utc(2026, 3, 4, 9), utc(2026, 3, 4, 15))


def test_a_new_user_is_not_flooded_with_old_issues(world, smtp_server):
    make_issue(world.billing, "Last week", utc(2026, 2, 25, 12))
    make_issue(world.billing, "Yesterday evening", utc(2026, 3, 3, 20))
    make_user("dan", world.billing.organization, frequency="daily")  # daily at 08:00 UTC
    with time_machine.travel(utc(2026, 3, 4, 8, 1)):
        sending.run(utc(2026, 3, 4, 8, 1), username="dan")
    text, _ = parts(by_recipient(smtp_server)["dan@example.com"])
    assert "Yesterday evening" in text and "Last week" not in text


def test_a_failed_send_is_retried_later_and_sent_once(issues, smtp_server, settings):
    from tests.support.mailserver import _free_port

    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = _free_port()  # nobody listens: connection refused
    with time_machine.travel(NOW):
        assert tasks.send_digests() == {"failed": 3}
    record = DigestRecord.objects.get(user=issues.bob)
    assert record.sent_at is None and record.attempts == 1 and "Connection" in record.last_error
    settings.EMAIL_PORT = port
    with time_machine.travel(utc(2026, 3, 4, 10, 4)):
        assert tasks.send_digests() == {}  # the lease has not passed yet
    assert smtp_server.messages == []
    with time_machine.travel(utc(2026, 3, 4, 10, 8)):
        assert tasks.send_digests() == {"sent": 3}
        assert tasks.send_digests() == {}
    assert len(smtp_server.messages) == 3
    record.refresh_from_db()
    assert record.sent_at and record.attempts == 2 and record.last_error == ""
    assert record.period_start == utc(2026, 3, 4, 9)  # the same period, not a new one


def test_retries_give_up_after_the_limit(world, smtp_server, settings):
    from tests.support.mailserver import _free_port

    make_issue(world.billing, "CardDeclined", utc(2026, 3, 4, 9, 30))
    settings.EMAIL_PORT = _free_port()
    for hours in range(12):
        with time_machine.travel(NOW + timedelta(hours=hours)):
            tasks.send_digests()
    record = DigestRecord.objects.get(user=world.bob, issue_count=1)
    assert record.attempts == sending.MAX_ATTEMPTS and record.sent_at is None
    # Later hours were empty: one record stretched over all of them, nothing sent.
    (quiet,) = DigestRecord.objects.filter(user=world.bob, issue_count=0)
    assert (quiet.period_start, quiet.period_end) == (utc(2026, 3, 4, 10), utc(2026, 3, 4, 21))


@pytest.mark.django_db(transaction=True)
def test_concurrent_beats_send_each_digest_once(issues, smtp_server):
    barrier = threading.Barrier(4)
    errors = []

    def beat():
        try:
            barrier.wait(timeout=10)
            sending.run(NOW)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(NOW):
        threads = [threading.Thread(target=beat) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    assert sorted(to[0] for _, to in smtp_server.envelopes) == [
        "ann@example.com",
        "bob@example.com",
        "cat@example.com",
    ]
    assert DigestRecord.objects.count() == 3


def test_times_are_shown_in_the_users_zone_and_each_project_can_be_muted(issues, smtp_server):
    from digests import prefs

    settings_obj = issues.bob.notification_settings
    settings_obj.timezone = "Europe/Berlin"  # UTC+1 in March
    settings_obj.save()
    with time_machine.travel(NOW):
        tasks.send_digests()
    text, html = parts(by_recipient(smtp_server)["bob@example.com"])
    assert "between 2026-03-04 10:00 and 2026-03-04 11:00 (Europe/Berlin)" in text
    mute = text.split("No more emails about Billing: ", 1)[1].split()[0]
    token = mute.removeprefix("http://localhost:8000/notifications/unsubscribe/").strip("/")
    assert prefs.read_unsubscribe_token(token) == (issues.bob.pk, issues.billing.pk)
    assert f'href="{mute}"' in html


def test_users_without_settings_get_the_default_daily_digest(world, smtp_server):
    from digests.models import NotificationSettings
    from tests.support.factories import MembershipFactory, UserFactory

    eve = UserFactory(username="eve", date_joined=utc(2026, 1, 1))
    MembershipFactory(user=eve, organization=world.billing.organization)
    assert not NotificationSettings.objects.filter(user=eve).exists()
    make_issue(world.billing, "Overnight", utc(2026, 3, 4, 3))
    with time_machine.travel(utc(2026, 3, 4, 7, 59)):
        sending.run(utc(2026, 3, 4, 7, 59), username="eve")
    assert smtp_server.messages == []  # daily at 08:00 UTC
    with time_machine.travel(utc(2026, 3, 4, 8, 1)):
        sending.run(utc(2026, 3, 4, 8, 1), username="eve")
    text, _ = parts(by_recipient(smtp_server)["eve@example.com"])
    assert "Overnight" in text
    # Inactive users and users without an address get nothing.
    eve.is_active = False
    eve.save()
    make_issue(world.billing, "Next day", utc(2026, 3, 4, 12))
    with time_machine.travel(utc(2026, 3, 5, 8, 1)):
        assert sending.run(utc(2026, 3, 5, 8, 1), username="eve") == []


def test_a_period_closes_a_minute_after_its_end(world, smtp_server):
    with time_machine.travel(utc(2026, 3, 4, 10, 0, 40)):
        tasks.send_digests()
    # 09:00-10:00 is not closed yet: events stamped 09:59 may still be in the queue.
    assert not DigestRecord.objects.filter(period_end=utc(2026, 3, 4, 10)).exists()
    make_issue(world.billing, "Stamped before ten, stored after", utc(2026, 3, 4, 9, 59, 50))
    with time_machine.travel(utc(2026, 3, 4, 10, 1, 5)):
        tasks.send_digests()
    text, _ = parts(by_recipient(smtp_server)["bob@example.com"])
    assert "Stamped before ten, stored after" in text


def test_an_issue_sent_late_from_an_offline_cache_still_makes_the_next_digest(world):
    """first_seen is the event's own time (days ago, say); created is when it arrived here."""
    from digests import selection

    late = make_issue(
        world.billing, "Queued offline", utc(2026, 2, 20), created=utc(2026, 3, 4, 9, 30)
    )
    sections = selection.collect(world.bob, utc(2026, 3, 4, 9), utc(2026, 3, 4, 10))
    assert [line.issue_id for s in sections for line in s.lines] == [late.id]
    assert sections[0].new == 1 and not sections[0].lines[0].regressed
