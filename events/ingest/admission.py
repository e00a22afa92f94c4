"""Admission: the one path by which every edge accepts a payload.

    key -> project -> active -> the edge reads its body -> limits -> hand-off

The Sentry endpoints (sentry.py), the Airbrake endpoints (airbrake.py) and raven's UDP
listener (udp.py) all call `Gate.admit`; what it refuses is a `Refusal` with a reason code
(events/wire/refusal.py) that each edge turns into its protocol's answer. The key is
checked before the body is read, so an unknown sender costs no decompression. Quotas and
inbound filters belong here, once for every edge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from events.queue import QueuedPayload
from events.wire.refusal import Refusal
from outcomes import record as outcomes

from . import handoff, keys, ratelimit

# The edge's part of admission: read and check the body once the key is known. Returns the
# payload to queue, or None when the request is accepted with nothing to store (an
# envelope of sessions or client reports); raises Refusal for a body it refuses.
Reader = Callable[[keys.KeyInfo], QueuedPayload | None]


def check_key(
    key: keys.KeyInfo | None, public_key: str, project_id: int | str | None
) -> keys.KeyInfo:
    if key is None:
        raise Refusal("unknown_key", f"unknown key {public_key[:40]!r}")
    if project_id is not None and project_id != key.project_id:
        raise Refusal("wrong_project", f"project {project_id} does not match the key's project")
    if not key.is_active:
        raise Refusal("disabled_key", f"key {public_key[:40]!r} is disabled")
    return key


@dataclass(frozen=True)
class Gate:
    """What admission asks of the rest of the app; tests build one with stand-ins."""

    lookup: Callable[[str], keys.KeyInfo | None] = keys.lookup
    rate_check: Callable[[keys.KeyInfo], tuple[int, str] | None] = ratelimit.check
    # None: admit returns the payload and the caller hands it off (UDP does so in batches).
    hand_off: Callable[[QueuedPayload], None] | None = handoff.hand_off

    def admit(
        self,
        public_key: str,
        project_id: int | str | None,
        read: Reader,
        user_agent: str = "",
    ) -> QueuedPayload | None:
        """Admit one payload for the project the request names (its id, or whatever stands
        in an Airbrake path); None when the key alone decides (UDP, Airbrake v2). The
        edge filters see the payload's client IP and the request's `user_agent`."""
        try:
            key = self.lookup(public_key)
        except keys.KeysUnavailable:
            raise Refusal(
                "keys_unavailable", "service temporarily unavailable", retry_after=30
            ) from None
        key = check_key(key, public_key, project_id)
        try:
            payload = read(key)
            if payload is None:
                return None
            filters = key.edge_filters
            if filters is not None:
                filter_out(filters, payload, user_agent)
            limited = self.rate_check(key)
            if limited:
                seconds, scope, quota = (*limited, "rate_limited")[:3]
                raise Refusal(
                    "rate_limited", f"{scope} {_WHAT[quota]} exceeded",
                    retry_after=seconds, scope=scope, quota=quota,
                )  # fmt: skip
            if self.hand_off is not None:
                self.hand_off(payload)  # raises Refusal("overloaded") past the backlog bound
        except Refusal as refusal:
            count_refusal(key, refusal)
            raise
        return payload


_WHAT = {
    "rate_limited": "rate limit",
    "hourly_quota": "hourly quota",
    "daily_quota": "daily quota",
    "monthly_quota": "monthly quota",
}


def filter_out(filters, payload: QueuedPayload, user_agent: str) -> None:
    """The request-only inbound filters (client IP, user agent)."""
    reason = filters.request_reason(payload.client_ip, user_agent or "")
    if reason:
        raise Refusal("filtered", f"event dropped by the project's inbound filter: {reason}")


def count_refusal(key: keys.KeyInfo, refusal: Refusal) -> None:
    """Outcomes: every refused event of a known project is counted with its reason."""
    if refusal.reason == "filtered":
        outcomes.filtered(key.project_id, refusal.detail.rpartition(": ")[2])
    else:
        outcomes.refused(key.project_id, refusal.reason, refusal.quota, refusal.scope)


GATE = Gate()
