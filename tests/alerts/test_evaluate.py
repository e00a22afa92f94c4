"""Rules against real stored batches: the write path's signal queues evaluation (run inline
in tests), which records deliveries and sends them."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from alerts.evaluate import claim, count_recent, in_window
from alerts.models import Delivery, IssueMinuteCount, NotificationRule
from digests.prefs import settings_for
from events.models import Issue
from tests.support.factories import ProjectFactory
from tests.support.payloads import message_event, python_error


def only_rule(project, **fields) -> NotificationRule:
    """Replace the project's rules by one rule (the default one goes)."""
    project.alert_rules.all().delete()
    fields.setdefault("email_to", NotificationRule.EmailTo.ALL_MEMBERS)
    return NotificationRule.objects.create(project=project, name="test rule", **fields)


def test_a_new_project_gets_the_default_rule(db):
    project = ProjectFactory()
    (rule,) = project.alert_rules.all()
    assert rule.on_new_issue and rule.on_regression
    assert not rule.on_frequency and not rule.on_every_event
    assert rule.email_to == NotificationRule.EmailTo.ALL_MEMBERS
    assert rule.throttle_minutes == 30 and rule.enabled


def test_a_new_issue_emails_every_member_once(alice, bob, project, store_events, mailoutbox):
    store_events(project, python_error(), python_error())
    deliveries = list(Delivery.objects.order_by("target"))
    assert [(d.target, d.channel, d.reason, d.status, d.attempts) for d in deliveries] == [
        ("alice@example.com", "email", "new_issue", "sent", 1),
        ("bob@example.com", "email", "new_issue", "sent", 1),
    ]
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "bob@example.com"]
    store_events(project, python_error())  # same issue, not new: the default rule is quiet
    assert Delivery.objects.count() == 2


def test_every_event_is_throttled_per_issue(alice, project, store_events):
    only_rule(project, on_every_event=True, throttle_minutes=30)
    (issue,) = store_events(project, python_error())
    for _ in range(3):
        store_events(project, python_error())
    assert Delivery.objects.filter(issue=issue).count() == 1
    other = store_events(project, python_error(type_="KeyError"))[0]
    assert Delivery.objects.filter(issue=other).count() == 1  # per issue, not per project
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        store_events(project, python_error())
    assert Delivery.objects.filter(issue=issue).count() == 2


def test_a_regression_notifies_inside_the_throttle_window(alice, project, store_events):
    only_rule(project, on_new_issue=True, on_regression=True, on_every_event=True)
    (issue,) = store_events(project, python_error())
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.RESOLVED)
    store_events(project, python_error())
    reasons = list(Delivery.objects.order_by("pk").values_list("reason", flat=True))
    assert reasons == ["new_issue", "regression"]
    store_events(project, python_error())  # unresolved again: throttled as before
    assert Delivery.objects.count() == 2


def test_a_filtered_out_level_sends_nothing(alice, project, store_events):
    only_rule(project, on_new_issue=True, min_level="error")
    store_events(project, message_event(level="warning"))
    assert not Delivery.objects.exists()
    store_events(project, python_error(level="fatal"))
    assert Delivery.objects.count() == 1


def test_filters_look_at_the_newest_event_of_the_batch(alice, project, store_events):
    only_rule(project, on_every_event=True, environments=["production"], throttle_minutes=0)
    store_events(project, python_error(environment="staging"))
    assert not Delivery.objects.exists()
    store_events(project, python_error(environment="production", tags={"customer": "acme"}))
    assert Delivery.objects.count() == 1


def test_frequency_counts_events_across_batches(alice, project, store_events):
    only_rule(project, on_frequency=True, frequency_count=5, frequency_minutes=10)
    (issue,) = store_events(project, *[python_error() for _ in range(3)])
    assert not Delivery.objects.exists()
    store_events(project, *[python_error() for _ in range(2)])
    assert list(Delivery.objects.values_list("reason", flat=True)) == ["frequency"]
    assert sum(IssueMinuteCount.objects.filter(issue=issue).values_list("count", flat=True)) == 5


def test_minute_counters_add_up_and_the_window_is_m_minutes(project, store_events):
    (issue,) = store_events(project, python_error())
    now = timezone.now()
    count_recent({issue.pk: 4}, now)
    count_recent({issue.pk: 3}, now - timedelta(minutes=5))
    counts = count_recent({issue.pk: 1}, now)[issue.pk]
    assert in_window(counts, now, 1) == 5
    assert in_window(counts, now, 5) == 5
    assert in_window(counts, now, 6) == 8
    old = count_recent({issue.pk: 1}, now + timedelta(days=2))[issue.pk]
    assert list(old.values()) == [1]  # a day later the old minutes are gone


def test_only_one_claim_wins_a_throttle_window(project, store_events):
    rule = only_rule(project, on_every_event=True, throttle_minutes=30)
    (issue,) = store_events(project, python_error())  # no member: nothing sent, state exists
    now = timezone.now()
    assert claim(rule, issue.pk, now + timedelta(minutes=31), force=False)
    assert not claim(rule, issue.pk, now + timedelta(minutes=32), force=False)
    assert claim(rule, issue.pk, now + timedelta(minutes=33), force=True)
    assert claim(rule, issue.pk, now + timedelta(minutes=64), force=False)


def test_muted_project_and_immediate_off_are_respected(alice, bob, project, store_events):
    settings_for(alice).muted_projects.add(project)
    prefs = settings_for(bob)
    prefs.immediate_email = False
    prefs.save()
    store_events(project, python_error())
    assert not Delivery.objects.exists()


def test_chosen_members_and_listed_addresses(alice, bob, charlie, project, store_events):
    rule = only_rule(
        project, on_new_issue=True, email_to=NotificationRule.EmailTo.CHOSEN,
        email_addresses=["oncall@example.org", "BOB@example.com"],
    )  # fmt: skip
    rule.email_members.set([bob, charlie])  # charlie is not a member of this organization
    store_events(project, python_error())
    assert sorted(Delivery.objects.values_list("target", "user")) == [
        ("bob@example.com", bob.pk),
        ("oncall@example.org", None),
    ]


def test_an_ignored_issue_stays_quiet_and_disabled_rules_do_nothing(alice, project, store_events):
    rule = only_rule(project, on_every_event=True, throttle_minutes=0)
    (issue,) = store_events(project, python_error())
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.IGNORED)
    store_events(project, python_error())
    assert Delivery.objects.count() == 1
    NotificationRule.objects.filter(pk=rule.pk).update(enabled=False)
    store_events(project, python_error(type_="OSError"))
    assert Delivery.objects.count() == 1


def test_rules_of_one_project_never_fire_for_another(alice, project, store_events):
    only_rule(project, on_every_event=True)
    other = ProjectFactory()
    store_events(other, python_error())
    assert not Delivery.objects.filter(project=project).exists()


def test_events_of_known_issues_under_the_default_rule_cost_one_query(
    alice, project, store_events, django_assert_max_num_queries
):
    from alerts.evaluate import evaluate

    (issue,) = store_events(project, python_error())
    outcome = {"issue_id": issue.id, "project_id": project.id, "new_events": 40,
               "created": False, "regressed": False, "event_id": ""}  # fmt: skip
    with django_assert_max_num_queries(2):  # the rules (and their chosen members)
        assert evaluate([outcome]) == []
