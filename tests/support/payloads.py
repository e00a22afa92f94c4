"""Plain functions that build SDK-shaped payloads for tests (not factories: dicts are data)."""

import gzip
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"  # recorded payloads, see its README


def python_error(
    type_="ValueError", value="bad value 42", function="inner", module="app.main", **extra
):
    event = {
        "event_id": uuid.uuid4().hex,
        "timestamp": datetime.now(UTC).isoformat(),
        "platform": "python",
        "level": "error",
        "exception": {
            "values": [
                {
                    "type": type_,
                    "value": value,
                    "mechanism": {"type": "generic", "handled": True},
                    "stacktrace": {
                        "frames": [
                            {"filename": "app/main.py", "module": module, "function": "outer",
                             "lineno": 10, "context_line": "    inner(x)", "in_app": True},
                            {"filename": "app/main.py", "module": module, "function": function,
                             "lineno": 20, "context_line": "    raise " + type_ + "(x)", "in_app": True},
                        ]
                    },
                }
            ]
        },
    }  # fmt: skip
    event.update(extra)
    return event


def message_event(message="Something happened for user %s", params=("bob",), **extra):
    event = {
        "event_id": uuid.uuid4().hex,
        "timestamp": datetime.now(UTC).timestamp(),
        "platform": "python",
        "level": "warning",
        "logentry": {"message": message, "params": list(params)},
    }
    event.update(extra)
    return event


def envelope(event: dict, extra_items: list[tuple[dict, bytes]] = ()) -> bytes:
    payload = json.dumps(event).encode()
    lines = [
        json.dumps(
            {"event_id": event.get("event_id"), "sent_at": datetime.now(UTC).isoformat()}
        ).encode(),
        json.dumps({"type": "event", "length": len(payload)}).encode(),
        payload,
    ]
    for header, body in extra_items:
        lines += [json.dumps({**header, "length": len(body)}).encode(), body]
    return b"\n".join(lines) + b"\n"


def auth_header(public_key: str) -> str:
    return f"Sentry sentry_key={public_key}, sentry_version=7, sentry_client=tests/1.0"


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


def captured_envelope() -> tuple[dict, bytes]:
    """The real sentry-python envelope captured on the wire (decompressed).

    File paths in the capture were rewritten afterwards, so the item's `length` is stale;
    it is set again to the payload's real size."""
    data = json.loads((FIXTURES / "sentry_python_envelope.json").read_text())
    header, item_header, payload = data["raw_envelope_text"].encode().split(b"\n")[:3]
    item = json.loads(item_header)
    item["length"] = len(payload)
    return data, b"\n".join([header, json.dumps(item).encode(), payload]) + b"\n"
