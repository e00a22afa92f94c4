"""Sends events with the real sentry-sdk. Run as a script: DSN MODE COUNT.

MODE: "error" (a ValueError from the same line each time: one issue), "warning" (a warning
message), "other" (a KeyError: another issue). Prints the event ids as JSON."""

import json
import sys

import sentry_sdk


def parse(text):
    return int(text)


def main(dsn: str, mode: str, count: int) -> None:
    sentry_sdk.init(dsn=dsn, release="e2e@1.0", environment="test")
    ids = []
    for n in range(count):
        if n and n % 20 == 0:
            sentry_sdk.flush(timeout=20)  # the SDK's queue holds 100 and drops past that
        if mode == "warning":
            ids.append(sentry_sdk.capture_message("Disk almost full", level="warning"))
            continue
        try:
            if mode == "other":
                {}["missing"]
            parse("not a number")
        except (ValueError, KeyError):
            ids.append(sentry_sdk.capture_exception())
    sentry_sdk.flush(timeout=20)
    print(json.dumps(ids))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
