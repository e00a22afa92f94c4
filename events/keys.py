"""Project keys for the ingest edge, from a small in-process cache.

The edge checks every request against a key; going to the database each time would tie
ingest speed to the database. A key's state is cached for KEY_TTL seconds (so disabling
a key takes effect within that time); unknown keys are remembered briefly too, so a
client with a wrong DSN cannot make every request a database query.
"""

import time
from dataclasses import dataclass

from projects.models import ProjectKey

KEY_TTL = 60.0
MISSING_TTL = 5.0


@dataclass(frozen=True)
class KeyInfo:
    key_id: int
    project_id: int
    is_active: bool
    rate_limit_per_minute: int | None
    project_rate_limit_per_minute: int | None


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
        )
        .first()
    )
    return KeyInfo(*row) if row else None


def lookup(public_key: str) -> KeyInfo | None:
    now = time.monotonic()
    hit = _cache.get(public_key)
    if hit and hit[0] > now:
        return hit[1]
    info = _load(public_key)
    if len(_cache) > 10_000:  # bounded: a flood of made-up keys must not grow memory
        _cache.clear()
    _cache[public_key] = (now + (KEY_TTL if info else MISSING_TTL), info)
    return info


def clear() -> None:
    _cache.clear()
