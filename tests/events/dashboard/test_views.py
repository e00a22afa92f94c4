"""The dashboard pages through Django's test client: content, filters and query counts."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Event, Issue
from tests.support.payloads import message_event, python_error

pytestmark = pytest.mark.django_db


def rich_error(**extra):
    event = python_error(
        type_="KeyError", value="'user_id'", function="load_user",
        release="app@2.0", environment="production", user={"id": "42", "email": "u@example.com"},
        request={"method": "POST", "url": "https://example.com/login?next=/", "headers": {"User-Agent": "curl"}},
        breadcrumbs={"values": [{"category": "http", "message": "GET /api", "timestamp": time_now()}]},
        contexts={"runtime": {"name": "CPython", "version": "3.12.1"}, "os": {"name": "Linux"}},
        tags={"server": "web-1"}, **extra,
    )  # fmt: skip
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    frames[1].update(pre_context=["def load_user(x):"], post_context=["    return x"],
                     vars={"session": {"user": None}, "x": "'abc'"})  # fmt: skip
    frames.insert(
        0,
        {
            "filename": "django/core/handlers.py",
            "function": "get_response",
            "lineno": 5,
            "in_app": False,
        },
    )
    return event


def time_now():
    return timezone.now().timestamp()


def test_every_page_requires_login(client, project):
    for url in [reverse("events:overview"), reverse("events:all-issues"),
                reverse("events:project-issues", args=["org-a", "backend"]), reverse("events:issue", args=[1])]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_overview_shows_counts_and_chart(client, alice, project, store_events):
    store_events(project, python_error(), python_error(), message_event())
    client.force_login(alice)
    page = client.get(reverse("events:overview")).content.decode()
    assert "Backend" in page and "<strong>2</strong> unresolved" in page
    assert "<strong>3</strong> events in 24 h" in page and "<svg" in page
    assert "Create project" in page  # alice owns the organization


def test_issue_list_filters_sorts_and_searches(client, bob, project, store_events):
    err, warn = store_events(
        project, rich_error(), message_event(message="disk almost full", params=())
    )
    store_events(project, python_error(type_="OSError", value="disk io", environment="staging"))
    client.force_login(bob)
    url = reverse("events:project-issues", args=["org-a", "backend"])

    def titles(**params):
        html = client.get(url, params).content.decode()
        return re.findall(r'<a href="/issues/\d+/">([^<]*)</a>', html)

    assert len(titles()) == 3
    assert titles(q="level:warning") == ["disk almost full"]
    assert titles(level="error", sort="events") == [
        "OSError: disk io",
        "KeyError: &#x27;user_id&#x27;",
    ]
    assert titles(q="environment:production") == ["KeyError: &#x27;user_id&#x27;"]
    assert titles(environment="staging") == ["OSError: disk io"]
    assert titles(q="release:app@2.0") == ["KeyError: &#x27;user_id&#x27;"]
    assert titles(q="server:web-1") == ["KeyError: &#x27;user_id&#x27;"]
    assert sorted(titles(q="disk")) == ["OSError: disk io", "disk almost full"]
    assert titles(q="load_user") == ["KeyError: &#x27;user_id&#x27;"]  # the culprit
    Issue.objects.filter(pk=err.pk).update(status="resolved")
    assert (
        len(titles()) == 2 and len(titles(q="is:resolved")) == 1 and len(titles(status="all")) == 3
    )
    Issue.objects.filter(pk=warn.pk).update(last_seen=timezone.now() - timedelta(days=3))
    assert titles(since="24h") == ["OSError: disk io"]
    assert titles(sort="first_seen") == ["disk almost full", "OSError: disk io"]
    assert titles(sort="new") == ["OSError: disk io", "disk almost full"]


def test_all_issues_list_spans_projects_of_the_user_only(
    client, bob, charlie, project, store_events
):
    other = store_events(project.__class__.objects.create(organization=charlie.memberships.get().organization, name="Theirs"),
                         python_error(type_="SecretError"))[0]  # fmt: skip
    store_events(project, python_error())
    client.force_login(bob)
    page = client.get(reverse("events:all-issues")).content.decode()
    assert "ValueError" in page and "SecretError" not in page and other.project.name not in page


def test_issue_list_query_count_is_fixed(
    client, bob, project, django_assert_max_num_queries, store_events
):
    store_events(
        project,
        *[python_error(type_=f"E{n}Error", release="r1", user={"id": str(n)}) for n in range(60)],
    )
    client.force_login(bob)
    url = reverse("events:project-issues", args=["org-a", "backend"])
    with django_assert_max_num_queries(7):
        first = client.get(url, {"q": "error release:r1"})
    assert first.content.decode().count('name="issue"') == 50
    cursor = first.context["page"].next_cursor
    with django_assert_max_num_queries(7):
        second = client.get(url, {"q": "error release:r1", "cursor": cursor})
    assert second.content.decode().count('name="issue"') == 10
    with django_assert_max_num_queries(6):
        client.get(reverse("events:all-issues"))


def test_issue_page_shows_the_event_and_a_fixed_number_of_queries(
    client, bob, project, django_assert_max_num_queries, store_events
):
    issue = store_events(project, *[rich_error(event_id=f"{n:032x}") for n in range(1, 31)])[0]
    client.force_login(bob)
    with django_assert_max_num_queries(15):  # 14 + the feedback panel (releases: 1 too)
        response = client.get(reverse("events:issue", args=[issue.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for expected in ["KeyError", "load_user", "def load_user(x):", "Local variables (2)", "Breadcrumbs",
                     "GET /api", "https://example.com/login?next=/", "CPython", "web-1", "Download raw JSON",
                     "production", "100%", "app@2.0"]:  # fmt: skip
        assert expected in page, expected
    assert 'class="frame app" open' in page  # the crashing in-app frame starts expanded
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_frame_order_and_system_frames_toggles(client, bob, project, store_events):
    issue = store_events(project, rich_error())[0]
    client.force_login(bob)
    url = reverse("events:issue", args=[issue.pk])
    oldest = client.get(url).content.decode()
    newest = client.get(url, {"order": "newest"}).content.decode()
    app_only = client.get(url, {"frames": "app"}).content.decode()
    assert oldest.index("get_response") < oldest.index(">load_user<")
    assert newest.index(">load_user<") < newest.index("get_response")
    assert "get_response" not in app_only and "1 system frame hidden" in app_only


def test_event_navigation_and_list_and_raw_json(client, bob, project, store_events):
    now = time_now()
    ids = [f"{n:032x}" for n in range(1, 4)]
    issue = store_events(
        project, *[python_error(event_id=i, timestamp=now - 100 + n) for n, i in enumerate(ids)]
    )[0]
    client.force_login(bob)
    latest = client.get(reverse("events:issue", args=[issue.pk]))
    assert latest.context["event"].event_id == ids[2]
    assert latest.context["nav"] == {
        "newer": None,
        "older": ids[1],
        "latest": ids[2],
        "oldest": ids[0],
    }
    middle = client.get(reverse("events:event", args=[issue.pk, ids[1]]))
    assert middle.context["nav"]["newer"] == ids[2] and middle.context["nav"]["older"] == ids[0]
    listing = client.get(reverse("events:event-list", args=[issue.pk])).content.decode()
    assert all(i[:12] in listing for i in ids)
    raw = client.get(reverse("events:event-json", args=[issue.pk, ids[0]]))
    assert raw["Content-Type"] == "application/json" and "attachment" in raw["Content-Disposition"]
    assert raw.json()["event_id"] == ids[0]
    assert client.get(reverse("events:event", args=[issue.pk, "f" * 32])).status_code == 404


def test_chart_spans(client, bob, project, store_events):
    issue = store_events(project, python_error())[0]
    client.force_login(bob)
    url = reverse("events:issue", args=[issue.pk])
    assert len(client.get(url).context["chart"].bars) == 24
    assert len(client.get(url, {"span": "30d"}).context["chart"].bars) == 30
    assert Event.objects.filter(issue=issue).count() == 1


def test_issue_page_says_how_many_events_are_stored_of_those_seen(
    client, bob, project, store_events
):
    project.events_per_issue = 4
    project.save()
    issue = store_events(project, *[python_error() for _ in range(9)])[0]
    client.force_login(bob)
    page = client.get(reverse("events:issue", args=[issue.pk])).content.decode()
    assert "4 events stored of 9 seen" in page
    project.events_per_issue = None
    project.save()
    issue = store_events(project, python_error(type_="KeyError"))[0]
    page = client.get(reverse("events:issue", args=[issue.pk])).content.decode()
    assert "events stored of" not in page


def test_delete_an_issue_from_its_page(
    client, bob, charlie, project, store_events, django_capture_on_commit_callbacks
):
    issue = store_events(project, python_error(), python_error())[0]
    client.force_login(charlie)  # another organization's: not even there
    assert client.post(reverse("events:issue-delete", args=[issue.pk])).status_code == 404
    client.force_login(bob)
    assert "Delete" in client.get(reverse("events:issue", args=[issue.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("events:issue-delete", args=[issue.pk]), follow=True)
    assert "Issue deleted" in response.content.decode()
    assert not Issue.objects.filter(pk=issue.pk).exists()
    assert not Event.objects.filter(issue_id=issue.pk).exists()
