"""Event content is attacker-controlled: everything must come out inert."""

import pytest
from django.urls import reverse

from tests.support.payloads import python_error

pytestmark = [pytest.mark.django_db, pytest.mark.one_pass]

XSS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "<svg onload=alert(2)>"]


def hostile_event():
    s, img, svg = XSS
    event = python_error(
        type_="Error" + s, value=img, function=svg,
        logger=img, release=img[:60], environment=s[:60],
        tags={s: img, "t": svg}, user={"id": s, "email": img, "username": svg},
        request={"method": s, "url": "https://x.example/?q=" + img, "headers": {s: img},
                 "query_string": img, "data": {"field": s}, "cookies": {"c": img}},
        breadcrumbs={"values": [{"category": s, "message": img, "level": svg, "data": {s: img}}]},
        contexts={s: {"name": img}, "browser": {"name": s, "version": img}},
        extra={s: img}, sdk={"name": s, "version": img},
    )  # fmt: skip
    frame = event["exception"]["values"][0]["stacktrace"]["frames"][-1]
    frame.update(filename=s, module=img, vars={s: img, "v": [svg]}, context_line=s,
                 pre_context=[img], post_context=[svg])  # fmt: skip
    return event


def test_hostile_event_is_inert_on_every_page(client, bob, project, store_events):
    issue = store_events(project, hostile_event())[0]
    issue.refresh_from_db()
    client.force_login(bob)
    urls = [
        reverse("events:issue", args=[issue.pk]),
        reverse("events:issue", args=[issue.pk]) + "?order=newest&frames=app",
        reverse("events:event-list", args=[issue.pk]),
        reverse("events:project-issues", args=["org-a", "backend"]),
        reverse("events:all-issues") + "?q=" + XSS[0],
    ]
    for url in urls:
        page = client.get(url).content.decode()
        for needle in ["<script>alert", "<img src=x", "<svg onload", "onerror=alert(1)>"]:
            assert needle not in page, (url, needle)
        assert "&lt;" in page
    detail = client.get(urls[0]).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in detail
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in detail
    assert detail.count("<script") == 1  # only our own static script tag
    assert "script-src 'self'" in client.get(urls[0])["Content-Security-Policy"]
