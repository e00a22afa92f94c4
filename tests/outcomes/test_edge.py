"""Quotas, edge filters and outcome counting at the edge, through the Sentry endpoints."""

import json

import pytest

from outcomes import tally
from tests.support.factories import ProjectFactory
from tests.support.payloads import auth_header, envelope, python_error

from .conftest import counts

pytestmark = pytest.mark.django_db


def store(client, project, body=None, **headers):
    key = project.keys.get().public_key
    return client.post(
        f"/api/{project.id}/store/", data=body or json.dumps(python_error()),
        content_type="application/json",
        headers={"X-Sentry-Auth": auth_header(key), **headers},
    )  # fmt: skip


# (project or organization field, reason code in the header, scope, smallest Retry-After)
QUOTAS = [
    ("rate_limit_per_minute", "rate_limited", "project", 1),
    ("rate_limit_per_hour", "hourly_quota", "project", 61),
    ("rate_limit_per_day", "daily_quota", "project", 3601),
    ("rate_limit_per_month", "monthly_quota", "project", 86401),
    ("monthly_event_quota", "monthly_quota", "organization", 86401),
]


@pytest.mark.parametrize("field, code, scope, at_least", QUOTAS)
def test_a_quota_answers_429_naming_it_and_counts_the_refusal(
    client, ingest_queue, field, code, scope, at_least
):
    project = ProjectFactory()
    owner = project.organization if scope == "organization" else project
    setattr(owner, field, 2)
    owner.save()
    assert [store(client, project).status_code for _ in range(2)] == [200, 200]

    response = store(client, project)
    retry = int(response["Retry-After"])
    assert response.status_code == 429 and at_least <= retry
    assert response["X-Sentry-Rate-Limits"] == f"{retry}:error;default;security:{scope}:{code}"
    assert scope in response.json()["detail"]
    assert ingest_queue.backlog() == 2  # nothing past the quota is queued

    assert tally.flush() == 1
    assert counts(project) == {("error", "rate_limited", f"{scope}_{code}"): 1}


def test_the_organization_quota_is_shared_by_its_projects(client, ingest_queue):
    first = ProjectFactory()
    second = ProjectFactory(organization=first.organization)
    first.organization.monthly_event_quota = 3
    first.organization.save()
    statuses = [store(client, p).status_code for p in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]


def test_no_quota_set_counts_nothing(client, ingest_queue):
    project = ProjectFactory()
    assert all(store(client, project).status_code == 200 for _ in range(5))
    assert tally.take() == {}  # accepted events are counted by the worker, not here


def test_edge_filters_refuse_by_client_ip_and_crawler_agent(client, ingest_queue):
    project = ProjectFactory(filter_ip_ranges="127.0.0.0/8")
    response = store(client, project)  # the test client's REMOTE_ADDR is 127.0.0.1
    assert response.status_code == 403 and "ip-address" in response["X-Sentry-Error"]

    project.filter_ip_ranges, project.filter_web_crawlers = "10.0.0.0/8", True
    project.save()
    from events.ingest import keys

    keys.clear()
    assert store(client, project).status_code == 200  # outside the range
    bot = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
    response = store(client, project, **{"User-Agent": bot})
    assert response.status_code == 403 and "web-crawlers" in response["X-Sentry-Error"]
    assert store(client, project, **{"User-Agent": "sentry.python/2.19.0"}).status_code == 200
    assert ingest_queue.backlog() == 2

    tally.flush()
    assert counts(project) == {
        ("error", "filtered", "ip-address"): 1,
        ("error", "filtered", "web-crawlers"): 1,
    }


def test_invalid_payloads_of_a_known_project_are_counted(client, ingest_queue):
    project = ProjectFactory()
    assert store(client, project, body="{not json").status_code == 400
    assert store(client, project, body="[1, 2]").status_code == 400
    tally.flush()
    assert counts(project) == {
        ("error", "invalid", "bad_payload"): 1,  # neither JSON nor zlib/base64
        ("error", "invalid", "bad_json"): 1,  # JSON, but not an object
    }


def test_items_not_stored_and_client_reports_are_counted(client, ingest_queue):
    project = ProjectFactory()
    report = {
        "timestamp": 1.0,
        "discarded_events": [
            {"reason": "ratelimit_backoff", "category": "error", "quantity": 3},
            {"reason": "sample_rate", "category": "transaction", "quantity": 7},
            {"reason": "bogus", "category": "error", "quantity": "many"},  # skipped
        ],
    }
    body = envelope(
        python_error(),
        [({"type": "transaction"}, b"{}"), ({"type": "attachment"}, b"abc"),
         ({"type": "check_in"}, b"{}"), ({"type": "client_report"}, json.dumps(report).encode())],
    )  # fmt: skip
    key = project.keys.get().public_key
    response = client.post(
        f"/api/{project.id}/envelope/", data=body, content_type="application/x-sentry-envelope",
        headers={"X-Sentry-Auth": auth_header(key)},
    )  # fmt: skip
    assert response.status_code == 200 and ingest_queue.backlog() == 1
    tally.flush()
    assert counts(project) == {
        ("transaction", "filtered", "not stored"): 1,
        ("attachment", "filtered", "not stored"): 1,
        ("error", "client_discard", "ratelimit_backoff"): 3,
        ("transaction", "client_discard", "sample_rate"): 7,
    }  # the check-in is its app's to count; the event the worker's


def test_a_failed_fold_keeps_the_counts_for_the_next(monkeypatch):
    project = ProjectFactory()
    tally.add(project.id, "error", "filtered", "x", 2)

    def broken(counts):
        raise RuntimeError("database away")

    monkeypatch.setattr(tally, "fold", broken)
    assert tally.flush() == 0
    monkeypatch.undo()
    tally.add(project.id, "error", "filtered", "x", 1)
    assert tally.flush() == 1
    assert counts(project) == {("error", "filtered", "x"): 3}
