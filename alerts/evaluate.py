"""Outcomes of a stored batch + the projects' rules -> delivery rows to send.

Runs in a Celery task, never in the ingest request. Queries are per batch, not per event:
rules of the batch's projects, the issues, their newest events (without the payload), and
for frequency rules one upsert and one read of per-minute counters.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from digests.prefs import wants_immediate_email
from events.models import Event, Issue
from projects.access import members_who_see

from .matching import Facts, Reason, filters_match, trigger_reason
from .models import Delivery, IssueMinuteCount, NotificationRule, RuleIssueState

KEEP_MINUTES = 24 * 60  # the longest frequency window a rule may have


def outcome_dicts(outcomes) -> list[dict]:
    """`events.processing.store.Outcome`s as the plain values a task message carries."""
    return [
        {
            "issue_id": o.issue_id,
            "project_id": o.project_id,
            "new_events": o.new_events,
            "created": o.created,
            "regressed": o.regressed,
            "event_id": o.event_ids[-1] if o.event_ids else "",  # newest of the batch
        }
        for o in outcomes
    ]


def _minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def count_recent(new_events: dict[int, int], now: datetime) -> dict[int, dict[datetime, int]]:
    """Add this batch's events to the issues' per-minute counters (an atomic upsert, so
    concurrent workers add up) and return every issue's counters of the last day."""
    if not new_events:
        return {}
    table = IssueMinuteCount._meta.db_table
    minute = connection.ops.adapt_datetimefield_value(_minute(now))
    rows = sorted(new_events.items())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (issue_id, minute, count) VALUES "
            + ", ".join(["(%s, %s, %s)"] * len(rows))
            + f" ON CONFLICT (issue_id, minute) DO UPDATE SET count = {table}.count + excluded.count",
            [v for issue_id, n in rows for v in (issue_id, minute, n)],
        )
    since = _minute(now) - timedelta(minutes=KEEP_MINUTES)
    # All issues' old minutes, quiet ones too; an index range scan that is empty most times.
    IssueMinuteCount.objects.filter(minute__lte=since).delete()
    counts: dict[int, dict[datetime, int]] = defaultdict(dict)
    for issue_id, at, n in IssueMinuteCount.objects.filter(
        issue_id__in=new_events, minute__gt=since
    ).values_list("issue_id", "minute", "count"):
        counts[issue_id][at] = n
    return counts


def in_window(counts: dict[datetime, int], now: datetime, minutes: int) -> int:
    """Events in the current minute and the `minutes - 1` before it."""
    start = _minute(now) - timedelta(minutes=minutes - 1)
    return sum(n for at, n in counts.items() if at >= start)


def claim(rule: NotificationRule, issue_id: int, now: datetime, *, force: bool) -> bool:
    """True if this caller may notify about the issue for the rule now. The conditional
    UPDATE (or the INSERT that wins the unique row) lets exactly one worker through per
    throttle window; `force` (a regression) always passes and restarts the window."""
    state = RuleIssueState.objects.filter(rule=rule, issue_id=issue_id)
    if force:
        if state.update(last_notified=now):
            return True
    elif state.filter(last_notified__lte=now - timedelta(minutes=rule.throttle_minutes)).update(
        last_notified=now
    ):
        return True
    table = RuleIssueState._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (rule_id, issue_id, last_notified) VALUES (%s, %s, %s)"
            " ON CONFLICT (rule_id, issue_id) DO NOTHING RETURNING id",
            [rule.pk, issue_id, connection.ops.adapt_datetimefield_value(now)],
        )
        return cursor.fetchone() is not None


class _Members:
    """Members per project and their email preferences, loaded once per evaluation."""

    def __init__(self):
        self._by_org: dict[int, list] = {}
        self._wants: dict[tuple[int, int], bool] = {}

    def wants_email(self, user, project) -> bool:
        key = (user.pk, project.pk)
        if key not in self._wants:
            self._wants[key] = wants_immediate_email(user, project)
        return self._wants[key]

    def of(self, project) -> list:
        """The members who can see the project (projects.access decides)."""
        if project.pk not in self._by_org:
            self._by_org[project.pk] = [
                m.user
                for m in members_who_see(project).select_related("user").order_by("user_id")
                if m.user.is_active and m.user.email
            ]
        return self._by_org[project.pk]


def recipients(rule: NotificationRule, project, members: _Members) -> list[tuple[str, object]]:
    """(address, user or None) for the rule's email action, each address once."""
    if rule.email_to == NotificationRule.EmailTo.ALL_MEMBERS:
        users = members.of(project)
    elif rule.email_to == NotificationRule.EmailTo.CHOSEN:
        chosen = {u.pk for u in rule.email_members.all()}
        users = [u for u in members.of(project) if u.pk in chosen]  # still a member
    else:
        users = []
    out, seen = [], set()
    for user in users:
        if user.email.lower() not in seen and members.wants_email(user, project):
            seen.add(user.email.lower())
            out.append((user.email, user))
    for address in rule.email_addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append((address, None))
    return out


def _deliveries(rule, issue, reason: str, event_id: str, members: _Members) -> list[Delivery]:
    common = {"rule": rule, "rule_name": rule.name, "project_id": issue.project_id,
              "issue": issue, "event_id": event_id, "reason": reason}  # fmt: skip
    out = [
        Delivery(channel=Delivery.Channel.EMAIL, target=address[:500], user=user, **common)
        for address, user in recipients(rule, issue.project, members)
    ]
    if rule.webhook_url:
        out.append(Delivery(channel=Delivery.Channel.WEBHOOK, target=rule.webhook_url, **common))
    return out


def _facts(issue: Issue, event: Event | None) -> Facts:
    if event is None:
        return Facts(level=issue.level, release=issue.last_release, title=issue.title)
    return Facts(
        level=event.level,
        environment=event.environment,
        release=event.release,
        tags=event.tags if isinstance(event.tags, dict) else {},
        title=issue.title,
        message=event.message,
    )


def _may_fire(outcome: dict, rules) -> bool:
    return any(
        (outcome["created"] and rule.on_new_issue)
        or (outcome["regressed"] and rule.on_regression)
        or rule.on_frequency
        or rule.on_every_event
        for rule in rules
    )


def evaluate(outcomes: list[dict], now: datetime | None = None) -> list[int]:
    """Create the deliveries the batch calls for; returns their ids (to be sent)."""
    now = now or timezone.now()
    rules_of: dict[int, list[NotificationRule]] = defaultdict(list)
    for rule in NotificationRule.objects.filter(
        project_id__in={o["project_id"] for o in outcomes}, enabled=True
    ).prefetch_related("email_members"):
        rules_of[rule.project_id].append(rule)
    # Most batches only add events to known issues: unless a rule counts events (frequency,
    # every event), those cannot fire, and need no issue, event or counter queries.
    outcomes = [o for o in outcomes if _may_fire(o, rules_of.get(o["project_id"], ()))]
    if not outcomes:
        return []
    issues = Issue.objects.select_related("project").in_bulk([o["issue_id"] for o in outcomes])
    events = {
        (e.project_id, e.event_id): e
        for e in Event.objects.filter(
            project_id__in={o["project_id"] for o in outcomes},
            event_id__in={o["event_id"] for o in outcomes if o["event_id"]},
        ).only("project_id", "event_id", "level", "environment", "release", "tags", "message")
    }
    with transaction.atomic():  # all or nothing, so the task can be retried as a whole
        counts = count_recent(
            {o["issue_id"]: o["new_events"] for o in outcomes
             if any(r.on_frequency for r in rules_of[o["project_id"]])},
            now,
        )  # fmt: skip
        planned = _plan(outcomes, rules_of, issues, events, counts, now)
        members = _Members()
        created: list[Delivery] = []
        last = _last_notified(planned)
        for rule, issue, reason, event_id in planned:
            force = reason == Reason.REGRESSION
            recent = last.get((rule.pk, issue.pk))
            if not force and recent and recent > now - timedelta(minutes=rule.throttle_minutes):
                continue  # clearly throttled: spare the conditional write (a storm's case)
            if claim(rule, issue.pk, now, force=force):
                created += _deliveries(rule, issue, reason, event_id, members)
        Delivery.objects.bulk_create(created)
    return [d.pk for d in created]


def _last_notified(planned) -> dict[tuple[int, int], datetime]:
    if not planned:
        return {}
    rows = RuleIssueState.objects.filter(
        rule_id__in={p[0].pk for p in planned}, issue_id__in={p[1].pk for p in planned}
    ).values_list("rule_id", "issue_id", "last_notified")
    return {(rule_id, issue_id): at for rule_id, issue_id, at in rows}


def _plan(outcomes, rules_of, issues, events, counts, now) -> list[tuple]:
    """(rule, issue, reason, event id) for every rule that fires; no writes."""
    planned = []
    for o in outcomes:
        issue = issues.get(o["issue_id"])
        if issue is None or (issue.status == Issue.Status.IGNORED and not o["regressed"]):
            continue  # deleted meanwhile, or muted by a person
        facts = _facts(issue, events.get((o["project_id"], o["event_id"])))
        for rule in rules_of[o["project_id"]]:
            recent = None
            if rule.on_frequency and rule.frequency_minutes:
                recent = in_window(counts.get(issue.pk, {}), now, rule.frequency_minutes)
            reason = trigger_reason(
                rule, created=o["created"], regressed=o["regressed"],
                new_events=o["new_events"], recent_count=recent,
            )  # fmt: skip
            if reason is not None and filters_match(rule, facts):
                planned.append((rule, issue, reason, o["event_id"]))
    return planned


def feedback_content(feedback: dict, *, with_email: bool) -> dict:
    """What a delivery keeps of a feedback: the email only where it may go."""
    content = {k: feedback.get(k, "") for k in ("message", "name", "url")}
    if with_email and feedback.get("email"):
        content["email"] = feedback["email"]
    return content


def evaluate_feedback(feedback: list[dict]) -> list[int]:
    """Deliveries for new feedback on issues (rules with the feedback trigger, filters
    against the issue); returns their ids. Every feedback is news: no throttle. The
    reporter's email goes to members' mail, never to other addresses, and to webhooks only
    when the rule says so."""
    feedback = [f for f in feedback if f.get("issue_id")]
    if not feedback:
        return []
    rules_of: dict[int, list[NotificationRule]] = defaultdict(list)
    for rule in NotificationRule.objects.filter(
        project_id__in={f["project_id"] for f in feedback}, enabled=True, on_feedback=True
    ).prefetch_related("email_members"):
        rules_of[rule.project_id].append(rule)
    issues = Issue.objects.select_related("project").in_bulk([f["issue_id"] for f in feedback])
    members, created = _Members(), []
    for item in feedback:
        issue = issues.get(item["issue_id"])
        if issue is None or issue.project_id != item["project_id"]:
            continue
        for rule in rules_of.get(issue.project_id, ()):
            if not filters_match(rule, _facts(issue, None)):
                continue
            for delivery in _deliveries(rule, issue, Reason.FEEDBACK, item["event_id"], members):
                to_member = delivery.channel == Delivery.Channel.EMAIL and delivery.user is not None
                to_hook = (
                    delivery.channel == Delivery.Channel.WEBHOOK and rule.feedback_email_in_webhook
                )
                delivery.feedback = feedback_content(item, with_email=to_member or to_hook)
                created.append(delivery)
    Delivery.objects.bulk_create(created)
    return [d.pk for d in created]
