"""Monitor schedules, pure: validate a check-in's `monitor_config` (or the dashboard's form)
and work out when the next check-in is due. Crontabs are croniter's; timezones zoneinfo's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter
from dateutil.relativedelta import relativedelta

MAX_MINUTES = 28 * 24 * 60  # margin and max runtime: four weeks at most
MAX_THRESHOLD = 720
MAX_CRONTAB = 100
UNITS = ("minute", "hour", "day", "week", "month", "year")
MAX_INTERVAL = {"minute": 60 * 24 * 366, "hour": 24 * 366, "day": 3660, "week": 520,
                "month": 120, "year": 10}  # fmt: skip


class ConfigError(ValueError):
    """What is wrong with a monitor configuration, in words for the user."""


@dataclass(frozen=True)
class Config:
    schedule_type: str  # "crontab" or "interval"
    crontab: str = ""
    interval_value: int | None = None
    interval_unit: str = ""
    timezone: str = "UTC"
    checkin_margin: int = 1
    max_runtime: int = 30
    failure_threshold: int = 1
    recovery_threshold: int = 1


def _int(config: dict, name: str, default: int, low: int, high: int) -> int:
    value = config.get(name)
    if value is None:
        return default
    if type(value) is not int or not low <= value <= high:
        raise ConfigError(f"{name} must be an integer from {low} to {high}")
    return value


def check_crontab(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("the crontab schedule must be a non-empty string")
    value = " ".join(value.split())
    if len(value) > MAX_CRONTAB:
        raise ConfigError(f"the crontab schedule is longer than {MAX_CRONTAB} characters")
    if len(value.split()) != 5 and not value.startswith("@"):
        raise ConfigError(f"invalid crontab {value!r}: five fields expected")
    try:
        croniter(value, datetime(2000, 1, 1, tzinfo=UTC))
    except (CroniterError, ValueError, KeyError) as exc:
        raise ConfigError(f"invalid crontab {value!r}: {exc}") from None
    return value


def check_timezone(value) -> str:
    if value is None:
        return "UTC"
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ConfigError("timezone must be a time zone name such as Europe/Vienna")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown timezone {value[:64]!r}") from None
    return value


def parse_config(config) -> Config:
    """A check-in's `monitor_config` -> Config; raises ConfigError with the reason."""
    if not isinstance(config, dict):
        raise ConfigError("monitor_config must be an object")
    schedule = config.get("schedule")
    if not isinstance(schedule, dict):
        raise ConfigError("monitor_config.schedule must be an object")
    kind = schedule.get("type") or "crontab"
    fields: dict = {}
    if kind == "crontab":
        fields["crontab"] = check_crontab(schedule.get("value"))
    elif kind == "interval":
        unit = schedule.get("unit")
        if unit not in UNITS:
            raise ConfigError(f"interval unit must be one of {', '.join(UNITS)}")
        value = schedule.get("value")
        if type(value) is not int or not 1 <= value <= MAX_INTERVAL[unit]:
            raise ConfigError(f"interval value must be an integer from 1 to {MAX_INTERVAL[unit]}")
        fields.update(interval_value=value, interval_unit=unit)
    else:
        raise ConfigError("schedule type must be crontab or interval")
    return Config(
        schedule_type=kind,
        timezone=check_timezone(config.get("timezone")),
        checkin_margin=_int(config, "checkin_margin", 1, 0, MAX_MINUTES),
        max_runtime=_int(config, "max_runtime", 30, 1, MAX_MINUTES),
        failure_threshold=_int(config, "failure_issue_threshold", 1, 1, MAX_THRESHOLD),
        recovery_threshold=_int(config, "recovery_threshold", 1, 1, MAX_THRESHOLD),
        **fields,
    )


def _step(unit: str, value: int):
    if unit in ("month", "year"):
        return relativedelta(**{f"{unit}s": value})
    return timedelta(**{f"{unit}s": value})


def next_expected(schedule_type: str, crontab: str, interval_value, interval_unit: str,
                  tz: str, after: datetime) -> datetime | None:  # fmt: skip
    """When the next check-in is due after `after` (aware); None without a schedule.
    A crontab runs in the monitor's timezone; an interval counts from `after`."""
    if schedule_type == "crontab":
        local = after.astimezone(ZoneInfo(tz))
        return croniter(crontab, local).get_next(datetime).astimezone(UTC)
    if schedule_type == "interval" and interval_value:
        return (after + _step(interval_unit, interval_value)).astimezone(UTC)
    return None


def describe(schedule_type: str, crontab: str, interval_value, interval_unit: str, tz: str) -> str:
    """The schedule in words for the dashboard (crontab in words is left to the crontab)."""
    if schedule_type == "crontab":
        return f"crontab {crontab} ({tz})"
    if schedule_type == "interval" and interval_value:
        unit = interval_unit if interval_value == 1 else f"{interval_unit}s"
        return f"every {interval_value} {unit}" if interval_value != 1 else f"every {unit}"
    return "needs schedule"
