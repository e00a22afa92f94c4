"""Feedback as clients send it, pure: the `feedback` item (widget, captureFeedback), the
legacy `user_report` item, the REST API body and the crash-report dialog's form. Each is
checked and capped; a refusal says why (Refusal "bad_feedback")."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import orjson

from events.wire.refusal import Refusal

MAX_MESSAGE = 8192
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class FeedbackData:
    feedback_id: str
    message: str
    source: str
    event_id: str = ""
    name: str = ""
    email: str = ""
    url: str = ""
    environment: str = ""
    release: str = ""


def bad(detail: str) -> Refusal:
    return Refusal("bad_feedback", f"invalid feedback: {detail}")


def event_id(value, what: str = "event id") -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        text = value.replace("-", "").lower()
        if _HEX32.match(text):
            return text
    raise bad(f"{what} must be 32 hex digits")


def _text(data: dict, name: str, limit: int, *, required: bool = False) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise bad(f"{name} is required")
        return ""
    if not isinstance(value, str):
        raise bad(f"{name} must be a string")
    value = value.strip()
    if required and not value:
        raise bad(f"{name} is required")
    if len(value) > limit:
        raise bad(f"{name} is longer than {limit} characters")
    return value


def _email(data: dict, name: str) -> str:
    value = _text(data, name, 254)
    if value and ("@" not in value or any(c.isspace() for c in value)):
        raise bad(f"{name} is not an email address")
    return value


def _load(payload: bytes) -> dict:
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise bad("not JSON") from None
    if not isinstance(data, dict):
        raise bad("must be a JSON object")
    return data


def from_feedback_item(payload: bytes, envelope_header: dict | None = None) -> FeedbackData:
    """The current format: an event-like payload with `contexts.feedback`."""
    data = _load(payload)
    contexts = data.get("contexts")
    feedback = contexts.get("feedback") if isinstance(contexts, dict) else None
    if not isinstance(feedback, dict):
        raise bad("contexts.feedback is missing")
    own_id = event_id(data.get("event_id") or (envelope_header or {}).get("event_id"), "event_id")
    return FeedbackData(
        feedback_id=own_id or uuid.uuid4().hex,
        message=_text(feedback, "message", MAX_MESSAGE, required=True),
        source="feedback",
        event_id=event_id(feedback.get("associated_event_id"), "associated_event_id"),
        name=_text(feedback, "name", 128),
        email=_email(feedback, "contact_email"),
        url=_text(feedback, "url", 1000),
        environment=_text(data, "environment", 64)
        if isinstance(data.get("environment"), str)
        else "",
        release=_text(data, "release", 200) if isinstance(data.get("release"), str) else "",
    )


def from_user_report(data: dict, source: str, envelope_event_id=None) -> FeedbackData:
    """The legacy shape (user_report items, the API, the dialog): event_id, name, email,
    comments."""
    about = event_id(data.get("event_id") or envelope_event_id)
    if not about:
        raise bad("event_id is required")
    return FeedbackData(
        feedback_id=uuid.uuid4().hex,
        message=_text(data, "comments", MAX_MESSAGE, required=True),
        source=source,
        event_id=about,
        name=_text(data, "name", 128),
        email=_email(data, "email"),
    )


def from_user_report_item(payload: bytes, envelope_header: dict | None = None) -> FeedbackData:
    data = _load(payload)
    source = "dialog" if data.get("source") == "dialog" else "user_report"  # feedback/dialog.py
    return from_user_report(data, source, (envelope_header or {}).get("event_id"))


def check_feedback_item(payload: bytes) -> None:
    from_feedback_item(payload)


def check_user_report_item(payload: bytes) -> None:
    data = _load(payload)
    if data.get("event_id") is not None:
        from_user_report(data, "user_report")
    else:  # the event id may be in the envelope header, which the edge check does not see
        _text(data, "comments", MAX_MESSAGE, required=True)
        _text(data, "name", 128)
        _email(data, "email")
