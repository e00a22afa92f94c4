"""stats_v2 (Sentry's shape), the inbound filter and quota endpoints."""

from datetime import UTC, datetime, timedelta

import pytest

from outcomes import tally
from projects.models import Project
from tests.support.factories import ProjectFactory

pytestmark = pytest.mark.django_db
STATS = "organizations/org-a/stats_v2/"


def hour(hours_ago: int) -> int:
    return int((datetime.now(UTC) - timedelta(hours=hours_ago)).timestamp()) // 3600 * 3600


@pytest.fixture
def outcomes(project, project_b):
    other = ProjectFactory(organization=project.organization, slug="frontend")
    tally.fold({
        (project.id, hour(0), "error", "accepted", ""): 5,
        (project.id, hour(2), "error", "accepted", ""): 3,
        (project.id, hour(2), "error", "filtered", "web-crawlers"): 2,
        (project.id, hour(3), "error", "rate_limited", "project_hourly_quota"): 4,
        (project.id, hour(30), "error", "accepted", ""): 100,  # outside 24h
        (other.id, hour(1), "transaction", "filtered", "not stored"): 7,
        (project_b.id, hour(1), "error", "accepted", ""): 1000,  # another organization's
    })  # fmt: skip
    return other


def test_stats_v2_answers_sentrys_shape(api_as, alice, project, outcomes):
    body = api_as(alice).get(
        STATS, {"field": "sum(quantity)", "groupBy": "outcome", "statsPeriod": "24h",
                "interval": "1h"},
    ).json()  # fmt: skip
    assert set(body) == {"start", "end", "intervals", "groups"}
    assert len(body["intervals"]) in (24, 25) and body["intervals"][0].endswith(":00:00Z")
    totals = {g["by"]["outcome"]: g["totals"]["sum(quantity)"] for g in body["groups"]}
    assert totals == {"accepted": 8, "filtered": 9, "rate_limited": 4}
    for group in body["groups"]:
        assert len(group["series"]["sum(quantity)"]) == len(body["intervals"])
        assert sum(group["series"]["sum(quantity)"]) == group["totals"]["sum(quantity)"]
    accepted = next(g for g in body["groups"] if g["by"]["outcome"] == "accepted")
    assert accepted["series"]["sum(quantity)"][-1] == 5  # this hour, the last bucket


def test_stats_v2_groups_and_filters(api_as, alice, project, outcomes):
    api = api_as(alice)
    body = api.get(STATS, {"field": "sum(quantity)", "groupBy": ["project", "reason"],
                           "statsPeriod": "2d", "interval": "1d"}).json()  # fmt: skip
    by = {(g["by"]["project"], g["by"]["reason"]): g["totals"]["sum(quantity)"]
          for g in body["groups"]}  # fmt: skip
    assert by == {
        (project.id, ""): 108, (project.id, "web-crawlers"): 2,
        (project.id, "project_hourly_quota"): 4, (outcomes.id, "not stored"): 7,
    }  # fmt: skip
    body = api.get(STATS, {"field": "sum(times_seen)", "category": "transaction",
                           "project": str(outcomes.id)}).json()  # fmt: skip
    assert [g["totals"] for g in body["groups"]] == [{"sum(times_seen)": 7}]
    body = api.get(STATS, {"field": "sum(quantity)", "outcome": "rate_limited"}).json()
    assert [g["totals"]["sum(quantity)"] for g in body["groups"]] == [4]


def test_stats_v2_never_shows_another_organization(api_as, alice, charlie, project_b, outcomes):
    body = api_as(alice).get(STATS, {"field": "sum(quantity)", "project": str(project_b.id)}).json()
    assert [g["totals"]["sum(quantity)"] for g in body["groups"]] == [0]
    assert api_as(charlie).get(STATS, {"field": "sum(quantity)"}).status_code == 404


@pytest.mark.parametrize("params", [
    {}, {"field": "count()"}, {"field": "sum(quantity)", "groupBy": "release"},
    {"field": "sum(quantity)", "interval": "5m"}, {"field": "sum(quantity)", "interval": "7h"},
    {"field": "sum(quantity)", "statsPeriod": "1y"}, {"field": "sum(quantity)", "statsPeriod": "365d"},
    {"field": "sum(quantity)", "start": "2026-01-01T00:00:00Z"},
    {"field": "sum(quantity)", "start": "yesterday", "end": "today"},
    {"field": "sum(quantity)", "project": "abc"},
])  # fmt: skip
def test_stats_v2_refuses_what_it_cannot_answer(api_as, alice, project, params):
    response = api_as(alice).get(STATS, params)
    assert response.status_code == 400 and response.json()["detail"]


def test_inbound_filters_through_the_api(api_as, alice, bob, project):
    api = api_as(alice)
    listed = {f["id"]: f["active"] for f in api.get("projects/org-a/backend/filters/").json()}
    assert listed == {"localhost": False, "browser-extensions": False,
                      "legacy-browsers": False, "web-crawlers": False}  # fmt: skip
    assert (
        api.put("projects/org-a/backend/filters/web-crawlers/", {"active": True}).status_code == 204
    )
    assert (
        api.put("projects/org-a/backend/filters/legacy-browsers/", {"subfilters": ["ie"]})
        .status_code == 204
    )  # fmt: skip
    assert api.put("projects/org-a/backend/filters/nope/", {"active": True}).status_code == 404
    assert api.put("projects/org-a/backend/filters/localhost/", {}).status_code == 400
    assert (
        api_as(bob).put("projects/org-a/backend/filters/localhost/", {"active": True}).status_code
        == 403
    )
    options = {"filters:error_messages": "*timeout*\nKeyError*",
               "filters:blacklisted_ips": "10.0.0.0/8", "filters:releases": "*-beta"}  # fmt: skip
    response = api.put("projects/org-a/backend/filters/options/", {"options": options})
    assert response.status_code == 200 and response.json()["options"] == options
    bad = api.put("projects/org-a/backend/filters/options/",
                  {"options": {"filters:blacklisted_ips": "10.0.0.0/8\nnot-an-ip"}})  # fmt: skip
    assert bad.status_code == 400 and "not-an-ip" in bad.json()["detail"]
    assert api.put("projects/org-a/backend/filters/options/",
                   {"options": {"filters:other": "x"}}).status_code == 400  # fmt: skip
    project = Project.objects.get(pk=project.pk)
    assert project.filter_web_crawlers and project.filter_legacy_browsers
    assert not project.filter_localhost and project.filter_ip_ranges == "10.0.0.0/8"


def test_quotas_through_the_api(api_as, alice, bob, project):
    api = api_as(alice)
    body = api.put("projects/org-a/backend/quotas/", {"perHour": 100, "perMonth": 5000}).json()
    assert body == {"perMinute": None, "perHour": 100, "perDay": None, "perMonth": 5000}
    body = api.put("projects/org-a/backend/quotas/", {"perHour": None, "perDay": 10}).json()
    assert body == {"perMinute": None, "perHour": None, "perDay": 10, "perMonth": 5000}
    assert api.put("projects/org-a/backend/quotas/", {"perDay": 0}).status_code == 400
    assert api.put("projects/org-a/backend/quotas/", {"perDay": "x"}).status_code == 400
    assert api_as(bob).put("projects/org-a/backend/quotas/", {"perDay": 1}).status_code == 403
    assert api_as(bob).get("projects/org-a/backend/quotas/").json()["perDay"] == 10


@pytest.mark.parametrize("params", [
    {"statsPeriod": "999999w"}, {"start": "0001-01-01T00:00:00", "end": "0001-01-01T05:00:00"},
    {"start": "9999-12-31T00:00:00", "end": "9999-12-31T23:00:00"},
    {"start": "999999999999", "end": "999999999999.5"},
])  # fmt: skip
def test_stats_v2_refuses_times_out_of_range(api_as, alice, project, params):
    response = api_as(alice).get(STATS, {"field": "sum(quantity)", **params})
    assert response.status_code == 400, response.content
