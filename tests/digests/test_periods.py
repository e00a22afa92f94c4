"""The schedule arithmetic, as plain functions: no database, no clock."""

from datetime import UTC, datetime, timedelta

import pytest

from digests.periods import due_period, latest_boundary

pytestmark = pytest.mark.one_pass


def utc(*args):
    return datetime(*args, tzinfo=UTC)


JOINED = utc(2026, 1, 1)


def test_hourly_boundary_is_the_top_of_the_hour():
    assert latest_boundary("hourly", 8, 0, "UTC", utc(2026, 3, 4, 10, 59, 59)) == utc(
        2026, 3, 4, 10
    )
    assert latest_boundary("hourly", 8, 0, "UTC", utc(2026, 3, 4, 10)) == utc(2026, 3, 4, 10)


def test_hourly_follows_half_hour_zones():
    # India is UTC+5:30: its hours start at :30 UTC.
    now = utc(2026, 3, 4, 10, 40)
    assert latest_boundary("hourly", 0, 0, "Asia/Kolkata", now) == utc(2026, 3, 4, 10, 30)


def test_daily_at_a_local_hour():
    # 08:00 in Berlin (UTC+1 in winter) is 07:00 UTC.
    assert latest_boundary("daily", 8, 0, "Europe/Berlin", utc(2026, 1, 15, 7, 30)) == utc(
        2026, 1, 15, 7
    )
    # Before today's hour: yesterday's.
    assert latest_boundary("daily", 8, 0, "Europe/Berlin", utc(2026, 1, 15, 6, 59)) == utc(
        2026, 1, 14, 7
    )
    # Summer time moves it to 06:00 UTC.
    assert latest_boundary("daily", 8, 0, "Europe/Berlin", utc(2026, 7, 15, 12)) == utc(
        2026, 7, 15, 6
    )


def test_daily_across_a_dst_gap():
    # 2026-03-29 02:00 does not exist in Berlin; the boundary still falls on that day, once.
    boundary = latest_boundary("daily", 2, 0, "Europe/Berlin", utc(2026, 3, 29, 12))
    assert boundary.date() == datetime(2026, 3, 29).date()
    assert boundary <= utc(2026, 3, 29, 12)


def test_weekly_on_a_weekday():
    # 2026-11-27 is a Friday; weekday 0 is Monday 2026-11-23.
    now = utc(2026, 11, 27, 15)
    assert latest_boundary("weekly", 9, 0, "UTC", now) == utc(2026, 11, 23, 9)
    # Friday 16:00 has not come yet this week: the previous Friday.
    assert latest_boundary("weekly", 16, 4, "UTC", now) == utc(2026, 11, 20, 16)
    assert latest_boundary("weekly", 15, 4, "UTC", now) == utc(2026, 11, 27, 15)


def test_due_period_starts_where_the_last_one_ended():
    last = utc(2026, 3, 4, 9)
    assert due_period("hourly", 0, 0, "UTC", last, JOINED, utc(2026, 3, 4, 10, 5)) == (
        last,
        utc(2026, 3, 4, 10),
    )


def test_nothing_is_due_until_the_next_boundary():
    last = utc(2026, 3, 4, 10)
    assert due_period("hourly", 0, 0, "UTC", last, JOINED, utc(2026, 3, 4, 10, 59)) is None
    assert due_period("daily", 8, 0, "UTC", utc(2026, 3, 4, 8), JOINED, utc(2026, 3, 5, 7)) is None


def test_a_missed_beat_catches_up_with_one_period():
    # Last hourly digest at 09:00; the beat was down until 15:20: one digest, 09:00 to 15:00.
    last = utc(2026, 3, 4, 9)
    now = utc(2026, 3, 4, 15, 20)
    assert due_period("hourly", 0, 0, "UTC", last, JOINED, now) == (last, utc(2026, 3, 4, 15))
    assert due_period("hourly", 0, 0, "UTC", utc(2026, 3, 4, 15), JOINED, now) is None


def test_the_first_digest_covers_at_most_one_period():
    now = utc(2026, 3, 4, 8, 3)
    # Joined long ago, never had a digest: the last day only, not since the epoch or joining.
    assert due_period("daily", 8, 0, "UTC", None, JOINED, now) == (
        utc(2026, 3, 3, 8),
        utc(2026, 3, 4, 8),
    )
    # Joined an hour ago: from then.
    joined = utc(2026, 3, 4, 7, 0)
    assert due_period("daily", 8, 0, "UTC", None, joined, now) == (joined, utc(2026, 3, 4, 8))
    # Joined after the boundary: nothing yet.
    assert due_period("daily", 8, 0, "UTC", None, utc(2026, 3, 4, 8, 1), now) is None


def test_turning_digests_back_on_does_not_bring_up_the_gap():
    last = utc(2026, 1, 10, 8)  # then digests were off for weeks
    since = utc(2026, 3, 3, 20)
    now = utc(2026, 3, 4, 8, 1)
    assert due_period("daily", 8, 0, "UTC", last, since, now) == (since, utc(2026, 3, 4, 8))


def test_off_and_unknown_zones():
    now = utc(2026, 3, 4, 8, 1)
    assert due_period("off", 8, 0, "UTC", None, JOINED, now) is None
    # An unknown zone name falls back to UTC rather than failing the whole beat.
    assert due_period("daily", 8, 0, "Mars/Olympus", None, JOINED, now)[1] == utc(2026, 3, 4, 8)
    assert due_period("daily", 8, 0, "../../etc/passwd", None, JOINED, now)[1] == utc(2026, 3, 4, 8)


def test_every_boundary_is_at_or_before_now_across_a_year_of_hours():
    start = utc(2026, 1, 1)
    for step in range(0, 365 * 24, 7):
        now = start + timedelta(hours=step, minutes=13)
        for tz in ("UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"):
            for freq in ("hourly", "daily", "weekly"):
                boundary = latest_boundary(freq, 2, 6, tz, now)
                assert boundary <= now
                assert now - boundary < timedelta(
                    hours={"hourly": 2, "daily": 26, "weekly": 170}[freq]
                )
