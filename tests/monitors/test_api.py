"""The monitors' REST API: list (Link pagination as sentry-cli follows it), detail, mute,
check-ins; another organization's monitors stay invisible."""

import re

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.models import ApiToken
from monitors.models import Monitor
from projects.models import Membership
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)

from .helpers import config, send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


def api_client(user, scopes=("read", "write")):
    _row, token = ApiToken.issue(user, scopes=list(scopes), name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def world(client, ingest_queue):
    org = OrganizationFactory(slug="acme")
    user = UserFactory(username="ann")
    MembershipFactory(user=user, organization=org, role=Membership.Role.MEMBER)
    project = ProjectFactory(organization=org, slug="web")
    key = project.keys.get()
    send(client, key, {"monitor_slug": "nightly", "status": "in_progress",
                       "check_in_id": "c" * 32, "monitor_config": config()})  # fmt: skip
    send(client, key, {"monitor_slug": "nightly", "status": "ok", "check_in_id": "c" * 32,
                       "duration": 1.25})  # fmt: skip
    send(client, key, {"monitor_slug": "loose", "status": "error"})
    outsider_org = OrganizationFactory(slug="other")
    outsider = UserFactory(username="eve")
    MembershipFactory(user=outsider, organization=outsider_org, role=Membership.Role.OWNER)
    send(client, ProjectFactory(organization=outsider_org).keys.get(),
         {"monitor_slug": "secret-job", "status": "ok"})  # fmt: skip
    return {"user": user, "outsider": outsider, "project": project}


def test_list_detail_and_checkins(world):
    api = api_client(world["user"])
    response = api.get("/api/0/organizations/acme/monitors/")
    assert response.status_code == 200
    rows = {m["slug"]: m for m in response.json()}
    assert set(rows) == {"nightly", "loose"}
    nightly = rows["nightly"]
    assert nightly["name"] == "nightly" and nightly["status"] == "active"
    assert nightly["id"] == str(Monitor.objects.get(slug="nightly").pk)
    assert nightly["config"]["schedule"] == "0 * * * *"
    assert nightly["config"]["timezone"] == "Europe/Vienna"
    assert nightly["health"] == "ok" and nightly["isMuted"] is False
    assert rows["loose"]["schedule"] == "needs schedule" and rows["loose"]["issueId"]

    detail = api.get("/api/0/organizations/acme/monitors/nightly/").json()
    assert detail["slug"] == "nightly" and detail["project"]["slug"] == "web"
    checkins = api.get("/api/0/organizations/acme/monitors/nightly/checkins/").json()
    assert [(c["status"], c["duration"]) for c in checkins] == [("ok", 1250)]


def test_pagination_follows_link_cursors(world, client):
    key = world["project"].keys.get()
    for n in range(5):
        send(client, key, {"monitor_slug": f"job-{n}", "status": "ok"})
    api = api_client(world["user"])
    seen, url = [], "/api/0/organizations/acme/monitors/?limit=3"
    while url:
        response = api.get(url)
        seen += [m["slug"] for m in response.json()]
        nxt = re.search(r'<([^>]+)>; rel="next"; results="true"; cursor="([^"]+)"',
                        response["Link"])  # fmt: skip
        url = nxt[1].replace("http://testserver", "") if nxt else None
    assert sorted(seen) == sorted(["nightly", "loose"] + [f"job-{n}" for n in range(5)])


def test_mute_through_the_api(world):
    api = api_client(world["user"])
    response = api.put("/api/0/organizations/acme/monitors/nightly/", {"isMuted": True},
                       format="json")  # fmt: skip
    assert response.status_code == 200 and response.json()["isMuted"] is True
    assert Monitor.objects.get(slug="nightly").muted
    response = api.put("/api/0/organizations/acme/monitors/nightly/", {"isMuted": "maybe"},
                       format="json")  # fmt: skip
    assert response.status_code == 400
    read_only = api_client(world["user"], scopes=("read",))
    response = read_only.put("/api/0/organizations/acme/monitors/nightly/", {"isMuted": False},
                             format="json")  # fmt: skip
    assert response.status_code == 403
    assert Monitor.objects.get(slug="nightly").muted


def test_other_organizations_monitors_are_invisible(world):
    api = api_client(world["outsider"])
    assert api.get("/api/0/organizations/acme/monitors/").status_code == 404
    assert api.get("/api/0/organizations/acme/monitors/nightly/").status_code == 404
    assert api.get("/api/0/organizations/acme/monitors/nightly/checkins/").status_code == 404
    own = api.get("/api/0/organizations/other/monitors/").json()
    assert [m["slug"] for m in own] == ["secret-job"]
    mine = api_client(world["user"])
    assert mine.get("/api/0/organizations/acme/monitors/secret-job/").status_code == 404
    assert mine.get("/api/0/organizations/acme/monitors/").status_code == 200
    assert APIClient().get("/api/0/organizations/acme/monitors/").status_code == 401


def test_slug_in_two_projects_needs_the_project(world, client):
    other = ProjectFactory(organization=world["project"].organization, slug="api")
    send(client, other.keys.get(), {"monitor_slug": "nightly", "status": "ok"})
    api = api_client(world["user"])
    response = api.get("/api/0/organizations/acme/monitors/nightly/")
    assert response.status_code == 400 and "?project=" in response.json()["detail"]
    response = api.get("/api/0/organizations/acme/monitors/nightly/?project=api")
    assert response.json()["project"]["slug"] == "api"
    response = api.get(f"/api/0/organizations/acme/monitors/nightly/?project={other.pk}")
    assert response.json()["project"]["slug"] == "api"
