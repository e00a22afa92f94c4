"""People, tokens and data for API tests: alice owns org A, dave is an admin of A, bob a
plain member of A, charlie is in org B only (he must never see A's data)."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.models import ApiToken
from projects.models import Membership
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.support.payloads import python_error
from tests.support.world import store

ALL_SCOPES = ["read", "write", "admin"]


@pytest.fixture
def org_a(db):
    return OrganizationFactory(name="Org A", slug="org-a")


@pytest.fixture
def org_b(db):
    return OrganizationFactory(name="Org B", slug="org-b")


def member(org, username, role=Membership.Role.MEMBER):
    return MembershipFactory(user=UserFactory(username=username), organization=org, role=role).user


@pytest.fixture
def alice(org_a):
    return member(org_a, "alice", Membership.Role.OWNER)


@pytest.fixture
def dave(org_a):
    return member(org_a, "dave", Membership.Role.ADMIN)


@pytest.fixture
def bob(org_a):
    return member(org_a, "bob")


@pytest.fixture
def charlie(org_b):
    return member(org_b, "charlie", Membership.Role.OWNER)


@pytest.fixture
def project(org_a):
    return ProjectFactory(organization=org_a, name="Backend", slug="backend")


@pytest.fixture
def project_b(org_b):
    return ProjectFactory(organization=org_b, name="Other", slug="other")


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # throttle counters live in the cache


class Api:
    """An APIClient speaking for one token."""

    def __init__(self, user, scopes=ALL_SCOPES):
        self.user = user
        self.token_row, self.token = ApiToken.issue(user, scopes=scopes, name="test")
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def get(self, path, params=None, **kw):
        return self.client.get("/api/0/" + path, params, **kw)

    def put(self, path, body=None, **kw):
        return self.client.put("/api/0/" + path, body or {}, format="json", **kw)

    def post(self, path, body=None, **kw):
        return self.client.post("/api/0/" + path, body or {}, format="json", **kw)

    def delete(self, path, **kw):
        return self.client.delete("/api/0/" + path, **kw)


@pytest.fixture
def api_as():
    return Api


@pytest.fixture
def issues_a(project, ingest_queue):
    """Three issues of project A, through the real write path."""
    return store(
        project,
        python_error(),
        python_error(type_="KeyError", value="missing key", environment="prod"),
        python_error(type_="TypeError", value="database timeout", user={"id": "u1"}),
    )


@pytest.fixture
def issue_b(project_b, ingest_queue):
    return store(project_b, python_error(type_="OSError", value="foreign"))[0]
