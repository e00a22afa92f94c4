"""Limits and quotas, counted at the edge only: events per minute per key and per project;
per hour, day and month (30 days) per project; per month per organization.

An event that got a 200 is never dropped later for quota. Counters live in Redis when it
is configured (shared by every web process); with the embedded default they are kept in
each web process's memory, so the limits apply per web process there (and a restart
forgets them). Only the limits that are set cost anything: none set, no counter touched.
"""

import logging
import time
from functools import cache, lru_cache

from django.conf import settings
from limits import (
    RateLimitItem,
    RateLimitItemPerDay,
    RateLimitItemPerHour,
    RateLimitItemPerMinute,
    RateLimitItemPerMonth,
)
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .keys import KeyInfo

log = logging.getLogger(__name__)

# The reason codes SDKs see in X-Sentry-Rate-Limits (and outcomes count), per window.
MINUTE, HOUR, DAY, MONTH = "rate_limited", "hourly_quota", "daily_quota", "monthly_quota"
_WINDOWS = {
    MINUTE: RateLimitItemPerMinute,
    HOUR: RateLimitItemPerHour,
    DAY: RateLimitItemPerDay,
    MONTH: RateLimitItemPerMonth,
}


@cache
def _limiter() -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(storage_from_string(settings.REDIS_URL or "memory://"))


@lru_cache(maxsize=4096)
def _item(window: str, amount: int) -> RateLimitItem:
    return _WINDOWS[window](amount)


def _retry_after(limiter, item, *identifiers) -> int:
    reset = limiter.get_window_stats(item, *identifiers).reset_time
    return max(1, int(reset - time.time() + 0.999))


def _checks(key: KeyInfo):
    """(scope, window, limit, identifier) for each limit that is set, shortest first."""
    hour, day, month = key.project_quotas
    project = str(key.project_id)
    return (
        ("key", MINUTE, key.rate_limit_per_minute, str(key.key_id)),
        ("project", MINUTE, key.project_rate_limit_per_minute, project),
        ("project", HOUR, hour, project),
        ("project", DAY, day, project),
        ("project", MONTH, month, project),
        ("organization", MONTH, key.organization_monthly_quota, str(key.organization_id)),
    )


def check(key: KeyInfo) -> tuple[int, str, str] | None:
    """(seconds to wait, scope, reason code) when a limit is reached, else None."""
    limiter = None
    try:
        for scope, window, limit, ident in _checks(key):
            if limit:
                limiter = limiter or _limiter()
                item = _item(window, limit)
                if not limiter.hit(item, scope, ident):
                    return _retry_after(limiter, item, scope, ident), scope, window
    except Exception:  # counters unreachable: accept rather than refuse everything
        log.warning("rate limit counters unavailable", exc_info=True)
    return None
