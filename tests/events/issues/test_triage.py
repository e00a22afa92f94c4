"""Issue state changes: by people through the dashboard, and by the write path."""

import pytest
from django.urls import reverse

from events.issues import triage
from events.models import Activity, Issue
from tests.support.payloads import python_error
from tests.support.world import store

pytestmark = pytest.mark.django_db


def kinds(issue):
    return list(Activity.objects.filter(issue=issue).order_by("pk").values_list("kind", flat=True))


def test_resolve_then_a_new_event_regresses_and_both_are_logged(bob, project, store_events):
    issue = store_events(project, python_error())[0]
    assert triage.resolve([issue.pk], bob) == 1
    assert triage.resolve([issue.pk], bob) == 0  # already resolved: nothing logged twice
    issue.refresh_from_db()
    assert issue.status == "resolved" and issue.resolved_at is not None
    store(project, python_error())
    issue.refresh_from_db()
    assert issue.status == "unresolved" and issue.regressed
    assert kinds(issue) == ["resolved", "regressed"]
    assert Activity.objects.get(issue=issue, kind="regressed").user is None


def test_ignore_until_n_more_events_comes_back_and_is_logged(bob, project, store_events):
    issue = store_events(project, python_error(), python_error())[0]
    triage.ignore([issue.pk], bob, count=2)
    issue.refresh_from_db()
    assert issue.status == "ignored" and issue.ignore_until_count == 4
    store(project, python_error())
    assert Issue.objects.get(pk=issue.pk).status == "ignored"
    store(project, python_error())
    assert Issue.objects.get(pk=issue.pk).status == "unresolved"
    assert kinds(issue) == ["ignored", "unignored"]
    assert Activity.objects.get(issue=issue, kind="ignored").data == {"count": 2}


def test_ignore_for_a_duration_and_forever(bob, project, store_events):
    a, b = store_events(project, python_error(), python_error(type_="KeyError"))
    triage.ignore([a.pk], bob, minutes=60)
    triage.ignore([b.pk], bob)
    a.refresh_from_db(), b.refresh_from_db()
    assert a.ignore_until is not None and a.ignore_until_count is None
    assert b.status == "ignored" and b.ignore_until is None and b.ignore_until_count is None
    with pytest.raises(ValueError):
        triage.ignore([a.pk], bob, minutes=0)


def test_actions_are_posts_with_csrf_and_work_without_javascript(
    client, bob, alice, project, store_events
):
    issue = store_events(project, python_error())[0]
    url = reverse("events:issue-action", args=[issue.pk])
    client.force_login(bob)
    assert client.get(url).status_code == 405
    csrf_client = client.__class__(enforce_csrf_checks=True)
    csrf_client.force_login(bob)
    assert csrf_client.post(url, {"action": "resolve"}).status_code == 403
    response = client.post(url, {"action": "ignore", "minutes": "1440"})
    assert response.status_code == 302 and response["Location"] == f"/issues/{issue.pk}/"
    client.post(url, {"action": "assign", "assignee": alice.pk})
    client.post(url, {"action": "unresolve"})
    issue.refresh_from_db()
    assert issue.status == "unresolved" and issue.assignee == alice
    page = client.get(reverse("events:issue", args=[issue.pk])).content.decode()
    assert "bob</strong>\n          assigned the issue to alice" in page
    assert "ignored the issue for 1440 min" in page


def test_cannot_assign_to_someone_outside_the_organization(
    client, bob, charlie, project, store_events
):
    issue = store_events(project, python_error())[0]
    client.force_login(bob)
    client.post(
        reverse("events:issue-action", args=[issue.pk]),
        {"action": "assign", "assignee": charlie.pk},
    )
    assert Issue.objects.get(pk=issue.pk).assignee is None


def test_bulk_actions_touch_only_visible_issues(client, bob, charlie, project, store_events):
    mine = store_events(project, python_error(), python_error(type_="KeyError"))
    theirs = store(project.__class__.objects.create(organization=charlie.memberships.get().organization, name="B"),
                   python_error())[0]  # fmt: skip
    client.force_login(bob)
    ids = [str(i.pk) for i in mine] + [str(theirs.pk)]
    response = client.post(reverse("events:bulk"), {"action": "resolve", "issue": ids,
                                                    "next": "/issues/?status=all", "assignee": "-1"})  # fmt: skip
    assert response["Location"] == "/issues/?status=all"
    assert set(
        Issue.objects.filter(pk__in=[i.pk for i in mine]).values_list("status", flat=True)
    ) == {"resolved"}
    assert Issue.objects.get(pk=theirs.pk).status == "unresolved"
    client.post(reverse("events:bulk"), {"action": "assign", "assignee": "-1", "issue": ids[:1]})
    assert Issue.objects.get(pk=mine[0].pk).assignee == bob
    response = client.post(
        reverse("events:bulk"), {"action": "resolve", "issue": ids, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/issues/"
