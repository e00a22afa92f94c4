"""Feedback through the real edge, queue and worker: the `feedback` item (widget,
captureFeedback), legacy `user_report`, the REST API, the crash-report dialog; linking to
the issue when the event comes first or later; hostile feedback; who sees the email."""

import json
import time
import urllib.parse
import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.models import ApiToken
from events.models import Issue
from events.processing import drain
from feedback.models import Feedback
from projects.models import Membership
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.support.payloads import auth_header, envelope, python_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


def post_envelope(client, key, body: bytes):
    return client.generic(
        "POST", f"/api/{key.project_id}/envelope/", data=body,
        content_type="application/x-sentry-envelope",
        headers={"X-Sentry-Auth": auth_header(key.public_key)},
    )  # fmt: skip


def feedback_envelope(message="The button does nothing", about=None, **extra) -> bytes:
    """@sentry/node captureFeedback's envelope (protocols-releases.md §g)."""
    own = uuid.uuid4().hex
    context = {"message": message, **extra}
    if about:
        context["associated_event_id"] = about
    payload = json.dumps({"type": "feedback", "level": "info", "event_id": own,
                          "timestamp": time.time(), "platform": "javascript",
                          "environment": "production", "release": "shop@2.0",
                          "contexts": {"feedback": context}}).encode()  # fmt: skip
    return b"\n".join([json.dumps({"event_id": own}).encode(), b'{"type":"feedback"}', payload])


def user_report_envelope(about: str, comments="It broke", **fields) -> bytes:
    payload = json.dumps({"event_id": about, "name": "Jane", "email": "jane@example.com",
                          "comments": comments, **fields}).encode()  # fmt: skip
    header = json.dumps({"type": "user_report", "content_type": "application/json",
                         "length": len(payload)}).encode()  # fmt: skip
    return b"\n".join([json.dumps({"event_id": about}).encode(), header, payload])


def store_error(client, key, event=None):
    event = event or python_error()
    assert post_envelope(client, key, envelope(event)).status_code == 200
    drain.process_batch()
    return event["event_id"], Issue.objects.get(events__event_id=event["event_id"])


def test_feedback_item_for_a_stored_event_lands_on_its_issue(client, key, ingest_queue):
    event_id, issue = store_error(client, key)
    body = feedback_envelope(about=event_id, contact_email="jane@example.com", name="Jane Doe",
                             url="https://shop.example.com/checkout")  # fmt: skip
    assert post_envelope(client, key, body).status_code == 200
    drain.process_batch()
    row = Feedback.objects.get()
    assert (row.message, row.name, row.email, row.url) == (
        "The button does nothing", "Jane Doe", "jane@example.com",
        "https://shop.example.com/checkout",
    )  # fmt: skip
    assert row.issue_id == issue.pk and row.event_id == event_id and row.source == "feedback"
    assert (row.environment, row.release) == ("production", "shop@2.0")
    # The same envelope again (a retry) is stored once.
    post_envelope(client, key, body)
    drain.process_batch()
    assert Feedback.objects.count() == 1


def test_feedback_before_its_event_is_linked_when_the_event_lands(
    client, key, ingest_queue, django_capture_on_commit_callbacks
):
    event = python_error()
    announced = []
    from events import signals

    def on_feedback(sender, feedback, **kwargs):
        announced.extend(f["id"] for f in feedback)

    signals.feedback_received.connect(on_feedback, dispatch_uid="test-feedback")
    try:
        post_envelope(client, key, feedback_envelope(about=event["event_id"]))
        drain.process_batch()
        row = Feedback.objects.get()
        assert row.issue_id is None and announced == []
        with django_capture_on_commit_callbacks(execute=True):
            _event_id, issue = store_error(client, key, event)
    finally:
        signals.feedback_received.disconnect(dispatch_uid="test-feedback")
    row.refresh_from_db()
    assert row.issue_id == issue.pk
    assert announced == [row.pk]


def test_feedback_without_event_and_user_report(client, key, ingest_queue):
    post_envelope(client, key, feedback_envelope(message="Love the new UI"))
    event_id, issue = store_error(client, key)
    assert post_envelope(client, key, user_report_envelope(event_id)).status_code == 200
    drain.process_batch()
    rows = {r.source: r for r in Feedback.objects.all()}
    assert rows["feedback"].event_id == "" and rows["feedback"].issue_id is None
    report = rows["user_report"]
    assert (report.message, report.name, report.email, report.issue_id) == (
        "It broke",
        "Jane",
        "jane@example.com",
        issue.pk,
    )


def test_feedback_for_another_projects_event_never_attaches(client, key, ingest_queue):
    other_key = ProjectFactory().keys.get()
    event_id, other_issue = store_error(client, other_key)
    post_envelope(client, key, feedback_envelope(about=event_id))
    drain.process_batch()
    row = Feedback.objects.get()
    assert row.project_id == key.project_id and row.issue_id is None
    # Not later either, when another event of that id lands in the other project.
    store_error(client, other_key, python_error(value="again"))
    row.refresh_from_db()
    assert row.issue_id is None


HOSTILE = [
    ("no message", lambda: feedback_envelope(message=""), "message"),
    ("message not a string", lambda: feedback_envelope(message=["x"]), "message"),
    ("huge message", lambda: feedback_envelope(message="x" * 9000), "message"),
    ("bad associated id", lambda: feedback_envelope(about="not-an-id"), "associated_event_id"),
    ("bad email", lambda: feedback_envelope(contact_email="jane at example"), "email"),
    ("no feedback context", lambda: b'{}\n{"type":"feedback"}\n{"contexts":{}}', "contexts"),
    ("not JSON", lambda: b'{}\n{"type":"feedback"}\n{nope', "JSON"),
    ("user report without comments", lambda: user_report_envelope("a" * 32, comments=""),
     "comments"),
    ("user report bad event id", lambda: user_report_envelope("zz"), "event id"),
]  # fmt: skip


@pytest.mark.parametrize("name, body, word", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_feedback_is_refused_and_changes_nothing(
    client, key, ingest_queue, name, body, word
):
    response = post_envelope(client, key, body())
    assert response.status_code == 400
    assert "invalid feedback" in response.json()["detail"] and word in response.json()["detail"]
    assert ingest_queue.backlog() == 0 and not Feedback.objects.exists()


# --- The REST API


@pytest.fixture
def acme(db):
    org = OrganizationFactory(slug="acme")
    user = UserFactory(username="ann")
    MembershipFactory(user=user, organization=org, role=Membership.Role.MEMBER)
    project = ProjectFactory(organization=org, slug="web")
    _row, token = ApiToken.issue(user, scopes=["read", "write"], name="t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return {"project": project, "api": api, "user": user}


def test_api_post_and_list(acme, client, ingest_queue):
    event_id, issue = store_error(client, acme["project"].keys.get())
    url = "/api/0/projects/acme/web/user-feedback/"
    response = acme["api"].post(url, {"event_id": event_id, "name": "Jane", "email": "j@example.com",
                                      "comments": "Checkout fails"}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["issueId"] == str(issue.pk)
    assert response.json()["comments"] == "Checkout fails"
    listed = acme["api"].get(url)
    assert [r["email"] for r in listed.json()] == ["j@example.com"]
    assert 'rel="next"' in listed["Link"]
    bad = acme["api"].post(url, {"event_id": "x", "comments": "hi"}, format="json")
    assert bad.status_code == 400 and "event id" in bad.json()["detail"]
    bad = acme["api"].post(url, {"event_id": event_id}, format="json")
    assert bad.status_code == 400


def test_api_is_closed_to_other_organizations(acme):
    outsider = UserFactory(username="eve")
    MembershipFactory(user=outsider, organization=OrganizationFactory(slug="evil"))
    _row, token = ApiToken.issue(outsider, scopes=["read", "write"], name="t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = "/api/0/projects/acme/web/user-feedback/"
    assert api.get(url).status_code == 404
    response = api.post(url, {"event_id": "a" * 32, "comments": "spam"}, format="json")
    assert response.status_code == 404 and not Feedback.objects.exists()


# --- The crash-report dialog


def dialog_url(key, event_id="a" * 32, **extra):
    dsn = key.dsn("http://testserver")
    return "/api/embed/error-page/?" + urllib.parse.urlencode(
        {"dsn": dsn, "eventId": event_id, **extra}
    )


def test_dialog_script_and_post(client, key, ingest_queue):
    event_id, issue = store_error(client, key)
    response = client.get(dialog_url(key, event_id))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"__sentry_reportdialog_closed__" in response.content
    assert response["Access-Control-Allow-Origin"] == "*"
    form = urllib.parse.urlencode({"name": "Jane", "email": "jane@example.com",
                                   "comments": "Saving failed"})  # fmt: skip
    response = client.post(dialog_url(key, event_id), form,
                           content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 200, response.content
    drain.process_batch()
    row = Feedback.objects.get()
    assert (row.source, row.message, row.issue_id) == ("dialog", "Saving failed", issue.pk)


@pytest.mark.parametrize(
    "query, status",
    [({"dsn": "nope", "eventId": "a" * 32}, 400), ({"eventId": "a" * 32}, 400),
     ("no-event-id", 400), ("unknown-key", 403), ("bad-event-id", 400)],
)  # fmt: skip
def test_dialog_refusals(client, key, ingest_queue, query, status):
    if query == "no-event-id":
        url = "/api/embed/error-page/?" + urllib.parse.urlencode({"dsn": key.dsn("http://t")})
    elif query == "unknown-key":
        url = dialog_url(key).replace(key.public_key, "0" * 32)
    elif query == "bad-event-id":
        url = dialog_url(key, "<script>")
    else:
        url = "/api/embed/error-page/?" + urllib.parse.urlencode(query)
    assert client.get(url).status_code == status
    assert (
        client.post(url, "comments=x", content_type="application/x-www-form-urlencoded").status_code
        == status
    )
    assert ingest_queue.backlog() == 0


def test_dialog_post_without_comments_is_refused(client, key, ingest_queue):
    response = client.post(
        dialog_url(key), "name=J", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400 and "comments" in response.json()["detail"]
    assert ingest_queue.backlog() == 0


# --- The dashboard


def test_issue_page_panel_and_project_list_escape_and_stay_private(client, ingest_queue):
    org = OrganizationFactory(slug="acme")
    member = UserFactory(username="ann")
    MembershipFactory(user=member, organization=org)
    project = ProjectFactory(organization=org, slug="web")
    key = project.keys.get()
    event_id, issue = store_error(client, key)
    post_envelope(client, key, feedback_envelope(message="<script>alert(1)</script>", about=event_id,
                                                 contact_email="jane@example.com"))  # fmt: skip
    drain.process_batch()
    client.force_login(member)
    page = client.get(f"/issues/{issue.pk}/").content.decode()
    assert "User feedback" in page and "jane@example.com" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    listing = client.get("/orgs/acme/projects/web/feedback/").content.decode()
    assert "jane@example.com" in listing and "&lt;script&gt;" in listing
    stranger = UserFactory(username="eve")
    MembershipFactory(user=stranger, organization=OrganizationFactory(slug="other"))
    client.force_login(stranger)
    assert client.get("/orgs/acme/projects/web/feedback/").status_code == 404
    assert client.get(f"/issues/{issue.pk}/").status_code == 404
