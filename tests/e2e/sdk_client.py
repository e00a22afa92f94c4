"""Sends a known set of events with the real sentry-sdk. Run as a script: DSN ALGO.

Prints the event ids it sent as JSON, keyed by case."""

import json
import logging
import sys

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration


def divide(x):
    return 1 / x


def parse_amount(text):
    try:
        return divide(int(text))
    except ZeroDivisionError as exc:
        raise ValueError(f"invalid amount {text!r}") from exc


def scope_for_fingerprint():
    """sentry-sdk 2.x has new_scope; 1.x only push_scope."""
    return sentry_sdk.new_scope() if hasattr(sentry_sdk, "new_scope") else sentry_sdk.push_scope()


def main(dsn: str, algo: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        release="e2e@1.0",
        environment="test",
        integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        _experiments={"transport_compression_algo": algo},
    )
    ids: dict[str, list[str]] = {"chained": [], "message": [], "logging": [], "fingerprint": []}
    for amount in ("0", "00", "000"):
        try:
            parse_amount(amount)
        except ValueError:
            ids["chained"].append(sentry_sdk.capture_exception())
    for n in (1, 2):
        ids["message"].append(sentry_sdk.capture_message(f"Payment {n} declined by gateway"))
    logger = logging.getLogger("shop.users")
    for user in ("alice", "bob"):
        logger.error("User %s not found", user)
        ids["logging"].append(sentry_sdk.last_event_id())
    for exc_type in (TypeError, KeyError):
        with scope_for_fingerprint() as scope:
            scope.fingerprint = ["payment-provider-down"]
            try:
                raise exc_type("provider timeout")
            except exc_type:
                ids["fingerprint"].append(sentry_sdk.capture_exception())
    sentry_sdk.flush(timeout=10)
    print(json.dumps(ids))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
