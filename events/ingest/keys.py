"""Project keys for the ingest edge, from a small in-process cache.

The edge checks every request against a key; going to the database each time would tie
ingest speed to the database. A key's state is cached for KEY_TTL seconds (so disabling
a key takes effect within that time); unknown keys are remembered briefly too, so a
client with a wrong DSN cannot make every request a database query.

While the database is down, known keys keep working: from this process's (expired)
entry, or from the shared cache (Redis when configured) where every load leaves a copy.
"""

import dataclasses
import logging
import time
from dataclasses import dataclass
from functools import lru_cache

from django.core.cache import cache
from django.db import DatabaseError, close_old_connections

from events.wire.inbound_filters import Filters
from projects.models import ProjectKey

log = logging.getLogger(__name__)

KEY_TTL = 60.0
MISSING_TTL = 5.0


@dataclass(frozen=True)
class KeyInfo:
    key_id: int
    project_id: int
    is_active: bool
    rate_limit_per_minute: int | None
    project_rate_limit_per_minute: int | None
    project_quotas: tuple = (None, None, None)  # the project's events per hour, day, month
    organization_id: int | None = None
    organization_monthly_quota: int | None = None
    edge_filter_settings: tuple = (False, "")  # the project's (web crawlers, IP ranges)

    @property
    def edge_filters(self) -> Filters | None:
        """The request-only inbound filters, or None when the project has none."""
        crawlers, ip_ranges = self.edge_filter_settings
        return _edge_filters(crawlers, ip_ranges) if crawlers or ip_ranges else None


@lru_cache(maxsize=1024)
def _edge_filters(crawlers: bool, ip_ranges: str) -> Filters:
    return Filters.build(web_crawlers=crawlers, ip_ranges=ip_ranges)


_cache: dict[str, tuple[float, KeyInfo | None]] = {}


def _load(public_key: str) -> KeyInfo | None:
    row = (
        ProjectKey.objects.filter(public_key=public_key)
        .values_list(
            "id",
            "project_id",
            "is_active",
            "rate_limit_per_minute",
            "project__rate_limit_per_minute",
            "project__rate_limit_per_hour",
            "project__rate_limit_per_day",
            "project__rate_limit_per_month",
            "project__organization_id",
            "project__organization__monthly_event_quota",
            "project__filter_web_crawlers",
            "project__filter_ip_ranges",
        )
        .first()
    )
    if not row:
        return None
    return KeyInfo(*row[:5], tuple(row[5:8]), row[8], row[9], tuple(row[10:12]))


class KeysUnavailable(Exception):
    """The database is down and this key is in no cache."""


def _shared_key(public_key: str) -> str:
    return f"ingest-key:{public_key}"


def _load_or_fallback(public_key: str, stale: tuple | None) -> KeyInfo | None:
    try:
        info = _load(public_key)
    except DatabaseError:
        # The WSGI fast path skips Django's per-request connection check: drop a broken
        # connection here, so the next lookup after a database restart connects afresh.
        close_old_connections()
        if stale is not None:
            return stale[1]
        try:
            shared = cache.get(_shared_key(public_key))
        except Exception:
            shared = None
        if shared is None:
            raise KeysUnavailable from None
        return KeyInfo(**shared) if shared else None
    try:
        value, ttl = (dataclasses.asdict(info), 86400) if info else ({}, 60)
        cache.set(_shared_key(public_key), value, timeout=ttl)
    except Exception:
        log.warning("shared key cache unavailable", exc_info=True)
    return info


def lookup(public_key: str) -> KeyInfo | None:
    now = time.monotonic()
    hit = _cache.get(public_key)
    if hit and hit[0] > now:
        return hit[1]
    info = _load_or_fallback(public_key, hit)
    if len(_cache) > 10_000:  # bounded: a flood of made-up keys must not grow memory
        _cache.clear()
    _cache[public_key] = (now + (KEY_TTL if info else MISSING_TTL), info)
    return info


def clear() -> None:
    _cache.clear()
