"""Run as a script: DSN. The real sentry-sdk against a project that takes 2 events a minute.

Sends one message at a time (each flushed, so each is a request of its own) until the SDK
is rate limited, a few more while it is, then waits until the SDK's own back-off has
passed and sends one more. Prints what it saw as JSON."""

import json
import sys
import time
from datetime import UTC, datetime

import sentry_sdk


def disabled_for(transport) -> float:
    """Seconds the SDK will not send errors for (0: it sends)."""
    until = transport._disabled_until.get("error") or transport._disabled_until.get(None)
    return max(0.0, (until - datetime.now(UTC)).total_seconds()) if until else 0.0


def main(dsn: str) -> None:
    sentry_sdk.init(dsn=dsn, default_integrations=False)
    transport = sentry_sdk.get_client().transport
    sent_before_limit = 0
    while not disabled_for(transport) and sent_before_limit < 10:
        sentry_sdk.capture_message(f"quota e2e {sent_before_limit}")
        sentry_sdk.flush(timeout=10)
        sent_before_limit += 1
    announced = disabled_for(transport)
    during = 0
    for _ in range(3):  # while the SDK backs off: dropped in the SDK, reported as such
        sentry_sdk.capture_message("during the back-off")
        sentry_sdk.flush(timeout=10)
        during += 1
    waited = time.monotonic()
    while disabled_for(transport):
        time.sleep(0.5)
    waited = time.monotonic() - waited
    after_id = sentry_sdk.capture_message("after the back-off")
    sentry_sdk.flush(timeout=10)
    print(json.dumps({
        "sent_before_limit": sent_before_limit, "announced": announced, "during": during,
        "waited": waited, "after_id": after_id,
    }))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1])
