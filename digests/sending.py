"""Sending digests exactly once per period, with retries for sends that fail.

A digest is claimed by inserting its DigestRecord in one transaction that holds the user's
settings row locked (and the unique (user, period_end) constraint as a backstop), so two
workers, a duplicated task or a retried beat never both send one period. The send happens
after the claim commits; if it fails the record stays unsent and a later beat retries it
with backoff, rebuilding the content for the same period. An SMTP server that accepts a
message while the worker dies before noting `sent_at` can still see it twice: the one
window that exactly-once across a network cannot close.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from projects.models import Membership

from . import emails, periods, selection
from .models import DigestRecord, NotificationSettings

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # first retry after this; doubles with each attempt
MAX_ATTEMPTS = 6  # 5 + 10 + 20 + 40 + 80 minutes of trying, then give up
KEEP = timedelta(days=90)  # old sent records are pruned; the latest always survives
RETRY_BATCH = 200
# A period is closed this long after its end, so events stamped just before the boundary and
# still on their way through the queue make it into their digest.
GRACE = timedelta(minutes=1)


@dataclass
class Result:
    username: str
    email: str
    start: datetime
    end: datetime
    issues: int
    status: str  # sent, failed, empty, would send, would skip (empty)
    subject: str = ""


def recipients():
    """Users who can get digests: active, an address, a membership, digests not turned off."""
    member = Membership.objects.filter(user=OuterRef("pk"))
    return (
        get_user_model()
        .objects.filter(Exists(member), is_active=True)
        .exclude(email="")
        .exclude(notification_settings__digest_frequency=NotificationSettings.Frequency.OFF)
        .select_related("notification_settings")
        .order_by("pk")
    )


def prefs_of(user) -> NotificationSettings:
    try:
        return user.notification_settings
    except ObjectDoesNotExist:
        return NotificationSettings(user=user)  # the defaults, unsaved


def period_for(user, prefs, last_end, now):
    return periods.due_period(
        prefs.digest_frequency,
        prefs.digest_hour,
        prefs.digest_weekday,
        prefs.timezone,
        last_end,
        prefs.digest_since or user.date_joined,
        now - GRACE,
    )


def due(now: datetime, username: str | None = None):
    """(user, prefs, (start, end)) for every user whose digest is due: two queries."""
    users = recipients()
    if username is not None:
        users = users.filter(username=username)
    last = dict(
        DigestRecord.objects.values_list("user_id").annotate(end=Max("period_end")).order_by()
    )
    for user in users:
        prefs = prefs_of(user)
        if period := period_for(user, prefs, last.get(user.pk), now):
            yield user, prefs, period


def backoff(attempt: int) -> timedelta:
    return LEASE * 2 ** max(attempt - 1, 0)


def claim(user, now: datetime):
    """Record the user's due period; (record, sections, prefs), or None if nothing is due
    (already claimed by someone else, or not yet time)."""
    NotificationSettings.objects.get_or_create(user=user)
    with transaction.atomic():
        # One claimer per user at a time; later ones see the record this one inserts.
        prefs = NotificationSettings.objects.select_for_update().get(user=user)
        last = DigestRecord.objects.filter(user=user).order_by("-period_end").first()
        period = period_for(user, prefs, last.period_end if last else None, now)
        if period is None:
            return None
        start, end = period
        sections = selection.collect(user, start, end)
        n = selection.count(sections)
        if n == 0 and last is not None and last.issue_count == 0 and last.period_end == start:
            # Quiet again: stretch the previous empty record rather than add one per hour.
            last.period_end, last.sent_at = end, now
            last.save(update_fields=["period_end", "sent_at"])
            return last, sections, prefs
        try:
            with transaction.atomic():
                record = DigestRecord.objects.create(
                    user=user,
                    period_start=start,
                    period_end=end,
                    issue_count=n,
                    # An empty period is recorded (the next digest starts after it) but not sent.
                    sent_at=now if n == 0 else None,
                    attempts=1 if n else 0,
                    retry_after=now + backoff(1) if n else None,
                )
        except IntegrityError:
            return None
        DigestRecord.objects.filter(
            user=user, period_end__lt=now - KEEP, sent_at__isnull=False
        ).delete()
    return record, sections, prefs


def deliver(record: DigestRecord, user, sections, prefs) -> bool:
    message = emails.build(user, sections, record.period_start, record.period_end, prefs.timezone)
    try:
        message.send()
    except Exception as exc:  # SMTP refusals, timeouts, DNS: all mean "try again later"
        log.warning("digest %s for %s not sent: %r", record.pk, user.pk, exc)
        error = emails.one_line(repr(exc), 300)
        DigestRecord.objects.filter(pk=record.pk).update(last_error=error)
        return False
    DigestRecord.objects.filter(pk=record.pk).update(
        sent_at=timezone.now(), retry_after=None, last_error=""
    )
    from aggregator import metrics  # here: importing the app writes no files

    metrics.DIGESTS_SENT.inc()
    return True


def retry_unsent(now: datetime, username: str | None = None) -> list[Result]:
    """Send again the claimed digests whose send failed and whose lease has passed."""
    results = []
    pending = DigestRecord.objects.filter(
        sent_at__isnull=True, retry_after__lte=now, attempts__lt=MAX_ATTEMPTS
    ).select_related("user")
    if username is not None:
        pending = pending.filter(user__username=username)
    for record in pending.order_by("retry_after")[:RETRY_BATCH]:
        attempt = record.attempts + 1
        won = DigestRecord.objects.filter(
            pk=record.pk, sent_at__isnull=True, attempts=record.attempts
        ).update(attempts=attempt, retry_after=now + backoff(attempt))
        if not won:
            continue  # another worker took this attempt
        user, prefs = record.user, prefs_of(record.user)
        # Rebuilt for the same period under today's access: a user who left a project
        # in between does not get its issues.
        sections = selection.collect(user, record.period_start, record.period_end)
        if not sections or not user.is_active or not user.email:
            DigestRecord.objects.filter(pk=record.pk).update(sent_at=now, retry_after=None)
            continue
        ok = deliver(record, user, sections, prefs)
        results.append(_result(user, record, sections, "sent" if ok else "failed"))
    return results


def _result(user, record_or_period, sections, status) -> Result:
    if isinstance(record_or_period, DigestRecord):
        start, end = record_or_period.period_start, record_or_period.period_end
    else:
        start, end = record_or_period
    n = selection.count(sections)
    subject = emails.subject(sections) if n else ""
    return Result(user.get_username(), user.email, start, end, n, status, subject)


def run(now: datetime, username: str | None = None, dry_run: bool = False) -> list[Result]:
    """One beat: retry failed sends, then send every digest that is due."""
    results = [] if dry_run else retry_unsent(now, username)
    for user, prefs, period in due(now, username):
        if dry_run:
            sections = selection.collect(user, *period)
            status = "would send" if sections else "would skip (empty)"
            results.append(_result(user, period, sections, status))
            continue
        claimed = claim(user, now)
        if claimed is None:
            continue
        record, sections, prefs = claimed
        if record.issue_count == 0:
            results.append(_result(user, record, sections, "empty"))
            continue
        ok = deliver(record, user, sections, prefs)
        results.append(_result(user, record, sections, "sent" if ok else "failed"))
    return results


def send_now(user, now: datetime) -> Result:
    """The user's digest of what is new since their last one, sent at once ("Send me a
    digest now", `senddigests --now`). Claimed like a scheduled one, so the period it
    covers (last digest's end .. now) is never sent again: the next scheduled digest starts
    where this one ended. Nothing new: no email and no record, status "empty"."""
    NotificationSettings.objects.get_or_create(user=user)
    with transaction.atomic():
        prefs = NotificationSettings.objects.select_for_update().get(user=user)
        last = DigestRecord.objects.filter(user=user).order_by("-period_end").first()
        since = prefs.digest_since or user.date_joined
        length = periods.LENGTH.get(prefs.digest_frequency, periods.LENGTH[periods.DAILY])
        if last is not None and last.period_end >= since:
            start = last.period_end
        else:  # a first digest covers at most one period, as a scheduled one does
            start = max(since, now - length)
        sections = selection.collect(user, start, now) if start < now else []
        n = selection.count(sections)
        if n == 0 or not user.email:
            return _result(user, (start, now), sections, "empty" if n == 0 else "no address")
        record = DigestRecord.objects.create(
            user=user, period_start=start, period_end=now, issue_count=n,
            attempts=1, retry_after=now + backoff(1),
        )  # fmt: skip
    ok = deliver(record, user, sections, prefs)
    return _result(user, record, sections, "sent" if ok else "failed")
