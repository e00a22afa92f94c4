"""Every endpoint answers in a fixed number of queries, however many rows it returns."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import NotificationRule
from tests.support.payloads import python_error
from tests.support.world import store

pytestmark = pytest.mark.django_db

# path template -> most queries allowed (auth, access, the page, its extras).
BOUNDS = {
    "organizations/": 3,
    "organizations/org-a/": 3,
    "organizations/org-a/projects/": 4,
    "organizations/org-a/members/": 4,
    "organizations/org-a/issues/?query=": 6,
    "projects/org-a/backend/": 4,  # with its teams
    "projects/org-a/backend/issues/?query=": 6,
    "projects/org-a/backend/keys/": 4,
    "projects/org-a/backend/keys/{key}/": 4,
    "projects/org-a/backend/events/{event_id}/": 8,
    "issues/{issue}/": 6,
    "issues/{issue}/events/": 4,
    "issues/{issue}/events/latest/": 8,
    "issues/{issue}/tags/": 4,
    "projects/org-a/backend/rules/": 5,
    "projects/org-a/backend/rules/{rule}/": 5,
    "projects/org-a/backend/rules/{rule}/deliveries/": 5,
}


def count(api, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
    assert response.status_code == 200, (path, response.content)
    return len(queries)


@pytest.fixture
def data(project, ingest_queue):
    def grow(n):
        rule = NotificationRule.objects.create(
            project=project, name=f"rule {n}", on_every_event=True, email_to="chosen"
        )
        rule.email_members.set(project.organization.memberships.values_list("user", flat=True))
        issues = store(project, *[python_error(type_=f"E{i}Error", user={"id": f"u{i}"}, tags={"t": str(i)})
                                  for i in range(n)])  # fmt: skip
        store(project, *[python_error(type_="E0Error") for _ in range(n)])
        return issues

    return grow


def test_query_counts_are_bounded_and_do_not_grow_with_the_data(
    api_as, alice, data, django_assert_max_num_queries
):
    api = api_as(alice)
    small = data(2)
    issue = small[0]
    key = issue.project.keys.get().public_key
    rule = issue.project.alert_rules.order_by("pk").first().pk
    paths = {
        p: p.format(issue=issue.pk, event_id=issue.last_event_id, key=key, rule=rule)
        for p in BOUNDS
    }
    api.get("")  # last_used is written once a minute; not part of the steady state
    before = {p: count(api, path) for p, path in paths.items()}
    data(20)
    after = {p: count(api, path) for p, path in paths.items()}
    assert before == after, (before, after)
    for template, path in paths.items():
        with django_assert_max_num_queries(BOUNDS[template]):
            api.get(path)


def test_bulk_changes_take_the_same_queries_for_3_or_30_issues(api_as, alice, data):
    api = api_as(alice)
    api.get("")
    data(3)

    def bulk(body) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.put("projects/org-a/backend/issues/", body).status_code == 200
        return len(queries)

    small = [
        bulk({"status": "resolved"}),
        bulk({"status": "ignored"}),
        bulk({"assignedTo": "alice"}),
    ]
    data(30)
    big = [bulk({"status": "resolved"}), bulk({"status": "ignored"}), bulk({"assignedTo": "alice"})]
    assert small == big and max(big) <= 12
