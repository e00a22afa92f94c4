"""People and data for dashboard tests: alice owns org A, bob is a member of A, charlie is in
org B only (he must never see A's data)."""

import json
import time

import pytest

from events.models import Issue
from events.processing import drain
from events.queue import QueuedPayload, get_queue
from projects.models import Membership
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)

# What a test folder's conftest.py takes with `from tests.support.world import *`.
__all__ = [
    "alice",
    "bob",
    "charlie",
    "org_a",
    "project",
    "store",
    "store_events",
]


@pytest.fixture
def org_a(db):
    return OrganizationFactory(name="Org A", slug="org-a")


@pytest.fixture
def alice(org_a):
    return MembershipFactory(
        user=UserFactory(username="alice"), organization=org_a, role=Membership.Role.OWNER
    ).user


@pytest.fixture
def bob(org_a):
    return MembershipFactory(user=UserFactory(username="bob"), organization=org_a).user


@pytest.fixture
def charlie(db):
    org_b = OrganizationFactory(name="Org B", slug="org-b")
    return MembershipFactory(user=UserFactory(username="charlie"), organization=org_b).user


@pytest.fixture
def project(org_a):
    return ProjectFactory(organization=org_a, name="Backend", slug="backend")


def store(project, *events: dict) -> list[Issue]:
    """Push events through the real write path (queue -> drain) and return their issues."""
    queue = get_queue()
    for event in events:
        body = json.dumps(event).encode()
        queue.push(
            QueuedPayload(project.id, event["event_id"], time.time(), "store", "", body, "10.0.0.1")
        )
    while drain.process_batch():
        pass
    ids = {e["event_id"] for e in events}
    return list(
        Issue.objects.filter(events__event_id__in=ids, project=project).distinct().order_by("pk")
    )


@pytest.fixture
def store_events(ingest_queue):
    return store
