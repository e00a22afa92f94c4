"""A check-in as SDKs, sentry-cli and the plain HTTP URL send it, pure (no Django models):
parse and check, raising Refusal("bad_checkin") with the reason. The edge runs it before
queueing (events/items.py), the worker again before applying."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass

import orjson

from events.wire.refusal import Refusal

from .schedule import Config, ConfigError, parse_config

SLUG = re.compile(r"^[a-z0-9_-]{1,50}$")
STATUSES = ("ok", "error", "in_progress")
MAX_DURATION = 366 * 24 * 3600.0
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class CheckInData:
    slug: str
    status: str
    check_in_id: str
    duration: float | None = None
    environment: str = ""
    release: str = ""
    config: Config | None = None
    id_given: bool = True  # False: the closing check-in finishes the latest one in progress


def bad(detail: str) -> Refusal:
    return Refusal("bad_checkin", f"invalid check-in: {detail}")


def check_slug(value) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise bad("monitor_slug must be 1 to 50 lowercase letters, digits, - or _")
    return value


def _check_in_id(value) -> str:
    if value is None:
        return uuid.uuid4().hex
    if isinstance(value, str):
        text = value.replace("-", "").lower()
        if _HEX32.match(text):
            return text
    raise bad("check_in_id must be a UUID")


def _text(data: dict, name: str, limit: int) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad(f"{name} must be a string")
    return value[:limit]


def from_dict(data) -> CheckInData:
    if not isinstance(data, dict):
        raise bad("a check-in must be a JSON object")
    status = data.get("status")
    if status not in STATUSES:
        raise bad(f"status must be one of {', '.join(STATUSES)}")
    duration = data.get("duration")
    if duration is not None:
        if type(duration) not in (int, float) or not math.isfinite(duration):
            raise bad("duration must be a number of seconds")
        if not 0 <= duration <= MAX_DURATION:
            raise bad(f"duration must be from 0 to {int(MAX_DURATION)} seconds")
    config = None
    if data.get("monitor_config") is not None:
        try:
            config = parse_config(data["monitor_config"])
        except ConfigError as exc:
            raise bad(f"monitor_config: {exc}") from None
    return CheckInData(
        slug=check_slug(data.get("monitor_slug")),
        status=status,
        check_in_id=_check_in_id(data.get("check_in_id")),
        duration=float(duration) if duration is not None else None,
        environment=_text(data, "environment", 64),
        release=_text(data, "release", 200),
        config=config,
        id_given=data.get("check_in_id") is not None,
    )


def parse(payload: bytes) -> CheckInData:
    """A check_in envelope item's payload."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise bad("not JSON") from None
    return from_dict(data)
