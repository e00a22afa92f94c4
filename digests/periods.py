"""When a user's digest is due: pure functions of their settings, their last digest and now.

A period ends at the latest schedule boundary at or before now (the top of the hour, the
user's local hour, or that hour on their weekday) and starts where the previous digest
ended. A missed beat therefore yields one longer period, never several; a first digest
(or the first after digests were turned back on) covers at most one period length.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HOURLY, DAILY, WEEKLY, OFF = "hourly", "daily", "weekly", "off"
LENGTH = {HOURLY: timedelta(hours=1), DAILY: timedelta(days=1), WEEKLY: timedelta(days=7)}


def zone(name: str) -> ZoneInfo:
    """The user's time zone; UTC for a name the system does not know (never raises)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def latest_boundary(frequency: str, hour: int, weekday: int, tz: str, now: datetime) -> datetime:
    """The latest scheduled digest time at or before `now`, in UTC."""
    local = now.astimezone(zone(tz))
    if frequency == HOURLY:
        return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    day = local.date()
    back = (day.weekday() - weekday) % 7 if frequency == WEEKLY else 0
    step = 7 if frequency == WEEKLY else 1
    day -= timedelta(days=back)
    while True:
        # Wall-clock hour on that day; in a DST gap zoneinfo picks a time just after it.
        candidate = datetime(day.year, day.month, day.day, hour, tzinfo=local.tzinfo)
        if candidate.astimezone(UTC) <= now.astimezone(UTC):
            return candidate.astimezone(UTC)
        day -= timedelta(days=step)


def due_period(
    frequency: str,
    hour: int,
    weekday: int,
    tz: str,
    last_end: datetime | None,
    since: datetime,
    now: datetime,
) -> tuple[datetime, datetime] | None:
    """(start, end) of the digest due now, or None. `last_end` is where the previous digest
    ended (None if there was none); `since` is when the user started wanting digests."""
    if frequency not in LENGTH:
        return None
    end = latest_boundary(frequency, hour, weekday, tz, now)
    if last_end is not None and last_end >= since:
        start = last_end
    else:
        start = max(since, end - LENGTH[frequency])
    if start >= end:
        return None
    return start, end
