"""Per-key and per-project event limits (events per minute), counted at the edge only.

An event that got a 200 is never dropped later for quota. Counters live in Redis when it
is configured (shared by every web process); with the embedded default they are kept in
each web process's memory, so the limit applies per web process there.
"""

import logging
import time
from functools import cache

from django.conf import settings
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .keys import KeyInfo

log = logging.getLogger(__name__)


@cache
def _limiter() -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(storage_from_string(settings.REDIS_URL or "memory://"))


def _retry_after(limiter, item, *identifiers) -> int:
    reset = limiter.get_window_stats(item, *identifiers).reset_time
    return max(1, int(reset - time.time() + 0.999))


def check(key: KeyInfo) -> tuple[int, str] | None:
    """(seconds to wait, scope) when the key or its project is over its limit, else None."""
    limiter = _limiter()
    checks = (
        ("key", key.rate_limit_per_minute, str(key.key_id)),
        ("project", key.project_rate_limit_per_minute, str(key.project_id)),
    )
    try:
        for scope, per_minute, ident in checks:
            if per_minute:
                item = RateLimitItemPerMinute(per_minute)
                if not limiter.hit(item, scope, ident):
                    return _retry_after(limiter, item, scope, ident), scope
    except Exception:  # counters unreachable: accept rather than refuse everything
        log.warning("rate limit counters unavailable", exc_info=True)
    return None
