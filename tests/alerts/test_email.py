"""Alert emails through a real SMTP server: headers, both parts, links, nothing secret."""

import re

from django.core import signing

from alerts.models import Delivery, NotificationRule
from digests.prefs import read_unsubscribe_token
from tests.support.payloads import python_error


def secret_event(**extra):
    event = python_error(type_="ValueError", value="invalid literal for int() with base 10: 'x'")
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    frames[-1]["vars"] = {"card_number": "4111-1111-1111-1111", "note": "local-var-secret"}
    event["request"] = {"url": "https://shop.example/pay", "headers": {"X-Token": "hdr-secret"},
                        "cookies": {"session": "cookie-secret"}}  # fmt: skip
    event["extra"] = {"api_key": "extra-secret"}
    event.update(extra)
    return event


def test_a_new_issue_mail_has_both_parts_links_and_threads(
    alice, project, store_events, smtp_server, settings
):
    settings.BASE_URL = "https://errors.example.com"
    (issue,) = store_events(project, secret_event())
    (message,) = smtp_server.wait_for(1)
    assert smtp_server.envelopes[0][1] == ["alice@example.com"]
    assert (
        message["Subject"] == "[BACKEND-1] ValueError: invalid literal for int() with base 10: 'x'"
    )
    delivery = Delivery.objects.get()
    assert message["Message-ID"] == f"<alert-{delivery.pk}.{issue.pk}@errors.example.com>"
    assert message["References"] == f"<issue-{issue.pk}.{project.pk}@errors.example.com>"
    assert message["In-Reply-To"] == message["References"]
    assert message["Auto-Submitted"] == "auto-generated"

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    issue_url = f"https://errors.example.com/issues/{issue.pk}/"
    for part in (text, html):
        assert issue_url in part
        assert "app/main.py" in part and "inner" in part  # top frames
        assert "New issue" in part and "Backend" in part
        for secret in ("4111-1111", "local-var-secret", "hdr-secret", "cookie-secret",
                       "extra-secret"):  # fmt: skip
            assert secret not in part
    assert "raise ValueError(x)" in text
    assert "invalid literal for int() with base 10: &#x27;x&#x27;" in html  # escaped in HTML
    assert "with base 10: 'x'" in text  # plain text is not HTML-escaped

    unsubscribe = re.search(r"https://errors\.example\.com/notifications/unsubscribe/[^\s\"<]+/",
                            text).group(0)  # fmt: skip
    assert message["List-Unsubscribe"].strip() == f"<{unsubscribe}>"  # long: folded
    assert unsubscribe in html
    token = unsubscribe.rstrip("/").rsplit("/", 1)[1]
    assert read_unsubscribe_token(token) == (alice.pk, project.pk)


def test_every_alert_of_an_issue_has_the_same_subject_and_thread(
    alice, project, store_events, smtp_server
):
    project.alert_rules.update(on_every_event=True, throttle_minutes=0)
    store_events(project, python_error())
    store_events(project, python_error())
    first, second = smtp_server.wait_for(2)
    assert first["Subject"] == second["Subject"]
    assert first["References"] == second["References"]
    assert first["Message-ID"] != second["Message-ID"]


def test_listed_addresses_get_no_unsubscribe_link(project, store_events, smtp_server):
    project.alert_rules.update(email_to="", email_addresses=["ops@example.org"])
    store_events(project, python_error(type_="KeyError", value="'\\nBcc: evil@example.org'"))
    (message,) = smtp_server.wait_for(1)
    assert smtp_server.envelopes[0][1] == ["ops@example.org"]
    assert "List-Unsubscribe" not in message
    assert "\n" not in message["Subject"]
    assert "unsubscribe" not in message.get_body(("plain",)).get_content()


def test_a_long_hostile_title_is_cut_and_escaped(alice, project, store_events, smtp_server):
    value = "<script>alert(1)</script>" + "x" * 300
    store_events(project, python_error(type_="TypeError", value=value))
    (message,) = smtp_server.wait_for(1)
    subject = message["Subject"].strip()
    assert subject.startswith("[BACKEND-1] TypeError: <script>")  # the issue's short id
    assert len(subject) <= len("[BACKEND-1] ") + 100
    assert subject.endswith("…")
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_smtp_down_is_retried_then_recorded_as_failed(alice, project, store_events, fast_retries):
    fast_retries.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    fast_retries.EMAIL_HOST, fast_retries.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    fast_retries.EMAIL_TIMEOUT = 1
    store_events(project, python_error())
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 3  # the first try and ALERTS_MAX_RETRIES = 2 more
    assert delivery.last_error.startswith("gave up: ConnectionRefusedError")


def test_the_unsubscribe_token_cannot_be_forged(alice, project):
    assert NotificationRule.objects.filter(project=project).exists()
    try:
        read_unsubscribe_token("x" + signing.dumps({"u": alice.pk}, salt="digests.unsubscribe"))
    except signing.BadSignature:
        return
    raise AssertionError("a forged token was accepted")


def test_the_unsubscribe_link_stops_the_next_alert(client, alice, bob, project, store_events):
    from django.core import mail

    store_events(project, python_error())
    to_bob = next(m for m in mail.outbox if m.to == ["bob@example.com"])
    link = re.search(r"https?://\S+/notifications/unsubscribe/\S+/", to_bob.body).group(0)
    path = "/" + link.split("/", 3)[3]
    assert client.post(path).status_code == 200  # no login needed
    mail.outbox.clear()
    store_events(project, python_error(type_="KeyError"))
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
