"""What the edges count: refusals after the key is known, edge filters, the envelope items
that are not stored, and the client reports SDKs send about what they dropped themselves.

Accepted events, worker filters and payloads the worker could not store are counted by the
worker, in its batch transaction (events/processing/drain.py). Refusals before the key is
known (unknown key, bad auth) belong to no project and are not counted here.
"""

from __future__ import annotations

import orjson

from .models import Outcome
from .tally import add

NOT_STORED = "not stored"

# Envelope item type -> Sentry's data category, for the items we accept and do not store.
# `event` is queued; `client_report` is read here; check_in, feedback and user_report are
# stored by their own apps and counted there.
_NOT_STORED_ITEMS = {
    "transaction": "transaction", "session": "session", "sessions": "session",
    "attachment": "attachment", "replay_event": "replay", "replay_recording": "replay",
    "replay_video": "replay", "profile": "profile", "profile_chunk": "profile_chunk",
    "log": "log_item", "otel_log": "log_item", "span": "span", "otel_span": "span",
    "statsd": "metric_bucket", "metric_buckets": "metric_bucket", "security": "security",
    "raw_security": "security", "nel": "security",
}  # fmt: skip
_COUNTED_ELSEWHERE = frozenset({"event", "client_report", "check_in", "feedback", "user_report"})
_MAX_DISCARDS = 100  # entries read from one client report


def refused(project_id: int, reason: str, quota: str = "", scope: str = "") -> None:
    """An event refused after its key was known (events/ingest/admission.py)."""
    if reason == "rate_limited":
        add(project_id, "error", Outcome.RATE_LIMITED, f"{scope}_{quota}" if scope else quota)
    elif reason == "overloaded":
        add(project_id, "error", Outcome.RATE_LIMITED, "backlog_full")
    else:
        add(project_id, "error", Outcome.INVALID, reason)


def filtered(project_id: int, reason: str, category: str = "error") -> None:
    add(project_id, category, Outcome.FILTERED, reason)


def envelope_items(project_id: int, items) -> None:
    """Every item but the event: counted as not stored, or read as a client report."""
    for item in items:
        kind = item.type
        if kind in _COUNTED_ELSEWHERE:
            if kind == "client_report":
                client_report(project_id, item.payload)
            continue
        add(project_id, _NOT_STORED_ITEMS.get(kind, "unknown"), Outcome.FILTERED, NOT_STORED)


def client_report(project_id: int, payload: bytes) -> None:
    """`discarded_events`: [{reason, category, quantity}], what the SDK dropped itself
    (rate limit back-off, queue overflow, sample rate...). Malformed entries are skipped."""
    try:
        report = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return
    entries = report.get("discarded_events") if isinstance(report, dict) else None
    if not isinstance(entries, list):
        return
    for entry in entries[:_MAX_DISCARDS]:
        if not isinstance(entry, dict):
            continue
        reason, category, quantity = (
            entry.get("reason"), entry.get("category"), entry.get("quantity")
        )  # fmt: skip
        if (
            isinstance(reason, str) and isinstance(category, str)
            and type(quantity) is int and 0 < quantity <= 10**9
        ):  # fmt: skip
            add(project_id, category, Outcome.CLIENT_DISCARD, reason, quantity)
