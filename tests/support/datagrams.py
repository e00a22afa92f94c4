"""Raven-format datagrams for tests (docs/protocols.md §8)."""

import base64
import json
import uuid
import zlib


def raven_event(project_id=None, **extra) -> dict:
    """Shaped like raven 5.x: aliases, integer level, string project, top-level culprit."""
    event = {
        "event_id": uuid.uuid4().hex,
        "message": "ZeroDivisionError: division by zero",
        "level": 40,
        "platform": "python",
        "timestamp": "2026-11-27T09:52:39Z",
        "culprit": "app.main in inner",
        "sentry.interfaces.Exception": {
            "values": [{"type": "ZeroDivisionError", "value": "division by zero", "module": "builtins",
                        "stacktrace": {"frames": [
                            {"filename": "app/main.py", "module": "app.main", "function": "inner",
                             "lineno": 3, "context_line": "    return 1 / x", "in_app": True}]}}]
        },
    }  # fmt: skip
    if project_id is not None:
        event["project"] = str(project_id)
    event.update(extra)
    return event


def header(public_key: str, version: str = "6") -> bytes:
    return (
        f"Sentry sentry_timestamp=1795773159.93, sentry_client=raven-python/5.2.0, "
        f"sentry_version={version}, sentry_key={public_key}, sentry_secret=secret"
    ).encode()


def datagram(public_key: str, event: dict, encoding: str = "base64") -> bytes:
    body = json.dumps(event).encode()
    if encoding in ("base64", "zlib"):
        body = zlib.compress(body)
    if encoding == "base64":
        body = base64.b64encode(body)
    return header(public_key) + b"\n\n" + body
