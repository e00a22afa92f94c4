"""Real SDK events from several platforms, through the store endpoint and the worker path:
the issue gets the title, culprit, type, level and metadata Sentry gave it."""

import json
import uuid

import pytest

from events.models import Event
from events.processing import drain
from tests.support.factories import ProjectFactory
from tests.support.payloads import FIXTURES, auth_header

COMPAT = FIXTURES / "sentry-compat"
NAMES = sorted(p.name.removesuffix(".expected.json") for p in COMPAT.glob("*.expected.json"))

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", NAMES)
def test_store_endpoint_matches_sentry(client, ingest_queue, name):
    expected = json.loads((COMPAT / f"{name}.expected.json").read_text())
    event = json.loads((COMPAT / f"{name}.incoming.json").read_text())
    event["event_id"] = uuid.uuid4().hex  # ingestion is idempotent by event id
    project = ProjectFactory()
    response = client.post(
        f"/api/{project.id}/store/",
        data=json.dumps(event),
        content_type="application/json",
        headers={"X-Sentry-Auth": auth_header(project.keys.get().public_key)},
    )
    assert response.status_code == 200, response.content
    drain.process_batch()

    issue = Event.objects.select_related("issue").get(event_id=event["event_id"]).issue
    accepted_culprits = [expected["culprit"], *expected.get("also_accept", {}).get("culprit", [])]
    assert issue.title == expected["title"]
    assert issue.culprit in accepted_culprits
    assert issue.type == expected["type"]
    assert issue.level == expected["level"]
    for key, value in expected["metadata"].items():
        if key in ("filename", "function") and issue.culprit != expected["culprit"]:
            continue  # metadata of the upstream capture that disagrees with its own event
        assert issue.metadata.get(key) == value, key
