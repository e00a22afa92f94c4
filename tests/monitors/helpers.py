"""Check-ins as the clients send them, posted through the real edge and drained."""

import json

from events.processing import drain
from tests.support.payloads import auth_header


def checkin_envelope(*checkins: dict) -> bytes:
    """sentry-cli's form: an empty envelope header, one check_in item per check-in."""
    lines = [b"{}"]
    for checkin in checkins:
        payload = json.dumps(checkin).encode()
        lines += [json.dumps({"type": "check_in", "length": len(payload)}).encode(), payload]
    return b"\n".join(lines)


def post_envelope(client, key, body: bytes):
    return client.generic(
        "POST", f"/api/{key.project_id}/envelope/", data=body,
        content_type="application/x-sentry-envelope",
        headers={"X-Sentry-Auth": auth_header(key.public_key)},
    )  # fmt: skip


def send(client, key, *checkins: dict):
    response = post_envelope(client, key, checkin_envelope(*checkins))
    assert response.status_code == 200, response.content
    drain.process_batch()
    return response


def config(**overrides) -> dict:
    base = {"schedule": {"type": "crontab", "value": "0 * * * *"}, "checkin_margin": 5,
            "max_runtime": 30, "timezone": "Europe/Vienna", "failure_issue_threshold": 1,
            "recovery_threshold": 1}  # fmt: skip
    base.update(overrides)
    return base
