"""Event endpoints: an issue's events, latest/oldest/recommended, by id, and tag facets."""

import pytest

from events.models import Event
from tests.support.payloads import python_error
from tests.support.world import store

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_events(project, ingest_queue):
    issue = None
    for n in range(3):
        issue = store(
            project,
            python_error(timestamp=f"2026-11-2{n}T10:00:00Z", environment=f"env{n % 2}",
                         tags={"browser": "Firefox"}, user={"id": f"u{n}"}),
        )[0]  # fmt: skip
    return issue


def test_issue_events_newest_first_with_cursor(api_as, bob, three_events):
    api = api_as(bob)
    issue = three_events
    events = list(Event.objects.filter(issue=issue).order_by("-timestamp"))
    first = api.get(f"issues/{issue.pk}/events/", {"limit": 2})
    assert [e["eventID"] for e in first.json()] == [e.event_id for e in events[:2]]
    row = first.json()[0]
    assert row["groupID"] == str(issue.pk) and row["projectID"] == str(issue.project_id)
    assert row["dateCreated"] == "2026-11-22T10:00:00Z" and row["title"] == issue.title
    assert {"key": "browser", "value": "Firefox"} in row["tags"]
    cursor = first["Link"].split('rel="next"; results="true"; cursor="')[1].split('"')[0]
    rest = api.get(f"issues/{issue.pk}/events/", {"limit": 2, "cursor": cursor}).json()
    assert [e["eventID"] for e in rest] == [events[2].event_id]
    assert api.get(f"issues/{issue.pk}/events/", {"cursor": "x"}).status_code == 400


def test_latest_oldest_and_recommended_event(api_as, bob, three_events):
    api = api_as(bob)
    issue = three_events
    events = list(Event.objects.filter(issue=issue).order_by("timestamp"))
    latest = api.get(f"issues/{issue.pk}/events/latest/").json()
    assert latest["eventID"] == events[-1].event_id
    assert latest["previousEventID"] == events[1].event_id and latest["nextEventID"] is None
    assert latest["entries"][0]["type"] == "exception"
    assert latest["entries"][0]["data"]["values"][0]["type"] == "ValueError"
    assert latest["user"]["id"] == "u2" and latest["culprit"] == issue.culprit
    assert api.get(f"issues/{issue.pk}/events/oldest/").json()["eventID"] == events[0].event_id
    assert (
        api.get(f"issues/{issue.pk}/events/recommended/").json()["eventID"] == events[-1].event_id
    )
    assert api.get(f"issues/{issue.pk}/events/newest/").status_code == 404


def test_project_event_by_id_in_either_spelling(api_as, bob, project, three_events):
    api = api_as(bob)
    event = Event.objects.filter(issue=three_events).first()
    dashed = f"{event.event_id[:8]}-{event.event_id[8:12]}-{event.event_id[12:16]}-{event.event_id[16:20]}-{event.event_id[20:]}"
    for spelling in (event.event_id, dashed, event.event_id.upper()):
        body = api.get(f"projects/org-a/backend/events/{spelling}/").json()
        assert body["eventID"] == event.event_id and body["groupID"] == str(three_events.pk)
    assert api.get("projects/org-a/backend/events/" + "0" * 32 + "/").status_code == 404


def test_event_of_another_organizations_project_is_404(api_as, charlie, project_b, three_events):
    event = Event.objects.filter(issue=three_events).first()
    assert api_as(charlie).get(f"projects/org-b/other/events/{event.event_id}/").status_code == 404


def test_tag_facets(api_as, bob, three_events):
    facets = {f["key"]: f for f in api_as(bob).get(f"issues/{three_events.pk}/tags/").json()}
    env = facets["environment"]
    assert env["totalValues"] == 3 and env["uniqueValues"] == 2
    assert env["topValues"][0] == {
        "key": "environment",
        "name": "env0",
        "value": "env0",
        "count": 2,
    }
    assert facets["browser"]["topValues"][0]["count"] == 3


def test_keys_list_shows_the_dsn_as_sentry_shapes_it(api_as, bob, project):
    key = project.keys.get()
    rows = api_as(bob).get("projects/org-a/backend/keys/").json()
    assert rows[0]["id"] == key.public_key and rows[0]["public"] == key.public_key
    assert rows[0]["dsn"] == {"public": key.dsn(), "secret": key.secret_dsn()}
    assert rows[0]["projectId"] == project.pk and rows[0]["isActive"] is True


def test_keys_create_and_validate(api_as, alice, project):
    api = api_as(alice)
    response = api.post("projects/org-a/backend/keys/", {"name": "ci"})
    assert response.status_code == 201
    assert response.json()["name"] == "ci" and project.keys.filter(label="ci").exists()
    assert api.post("projects/org-a/backend/keys/", {"name": "x" * 101}).status_code == 400
