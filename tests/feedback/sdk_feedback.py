"""Sends an error and a user report about it with the real sentry-sdk. Run as a script: DSN.
sentry-sdk 2.x has no feedback API (protocols-releases.md §g): the report is an envelope item
of type `user_report`, sent by the SDK's own transport. Prints the error's event id."""

import sys

import sentry_sdk
from sentry_sdk.envelope import Envelope, Item, PayloadRef


def main(dsn: str) -> None:
    sentry_sdk.init(dsn=dsn, release="1.0.0")
    try:
        raise OSError("disk full while saving")
    except OSError:
        event_id = sentry_sdk.capture_exception()
    report = {"event_id": event_id, "name": "Jane", "email": "jane@example.com",
              "comments": "It broke when I saved"}  # fmt: skip
    envelope = Envelope(headers={"event_id": event_id})
    envelope.add_item(Item(payload=PayloadRef(json=report), type="user_report"))
    sentry_sdk.get_client().transport.capture_envelope(envelope)
    sentry_sdk.flush(10)
    print(event_id)


if __name__ == "__main__":
    main(sys.argv[1])
