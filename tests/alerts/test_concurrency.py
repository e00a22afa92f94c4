"""Several workers evaluating the same issue at once: one notification, exact counts."""

import threading

import pytest
from django.db import connection

from alerts.evaluate import evaluate
from alerts.models import Delivery, IssueMinuteCount, NotificationRule, RuleIssueState
from tests.support.factories import ProjectFactory
from tests.support.payloads import python_error
from tests.support.world import store

WORKERS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_evaluations_send_once_and_count_every_event(ingest_queue):
    project = ProjectFactory()
    project.alert_rules.all().delete()
    NotificationRule.objects.create(
        project=project, name="all", on_every_event=True, on_frequency=True,
        frequency_count=1000, frequency_minutes=10, throttle_minutes=30,
        email_addresses=["ops@example.org"],
    )  # fmt: skip
    (issue,) = store(project, python_error())
    Delivery.objects.all().delete()
    IssueMinuteCount.objects.all().delete()
    RuleIssueState.objects.all().delete()  # as if the issue had never notified
    outcome = {"issue_id": issue.pk, "project_id": project.pk, "new_events": 3,
               "created": False, "regressed": False, "event_id": issue.last_event_id}  # fmt: skip
    barrier = threading.Barrier(WORKERS)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(evaluate([outcome]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(r) for r in results) == [0] * (WORKERS - 1) + [1]
    assert Delivery.objects.count() == 1
    total = sum(IssueMinuteCount.objects.filter(issue=issue).values_list("count", flat=True))
    assert total == 3 * WORKERS
