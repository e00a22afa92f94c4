"""Runs under any raven (3.x-6.x) and Python (3.6+): python raven_app.py DSN
Captures a chained exception twice, logs one template with two parameters through raven's
logging handler, and captures one plain message. Prints the event ids raven returned."""

import json
import logging
import sys

from raven import Client
from raven.handlers.logging import SentryHandler


def parse_amount(text):
    try:
        return 100 / int(text)
    except ZeroDivisionError as exc:
        raise ValueError(f"invalid amount {text!r}") from exc


def main(dsn):
    client = Client(dsn, release="legacy@1.0")
    ids = {"chained": [], "template": [], "message": []}
    bucket = []
    capture = client.capture

    def recording_capture(*args, **kwargs):  # the app's own wrapper: raven is unmodified
        result = capture(*args, **kwargs)
        bucket.append(result[0] if isinstance(result, tuple) else result)  # 5.x: a 1-tuple
        return result

    client.capture = recording_capture
    bucket = ids["chained"]
    # raven skips an exception it has seen, keyed on the ids of its type, value and
    # traceback; a freed exception's ids can come back for the next one, so keep them alive.
    caught = []
    for _ in range(2):
        try:
            parse_amount("0")
        except ValueError as exc:
            caught.append(exc)
            client.captureException()
    log = logging.getLogger("legacy.app")
    log.addHandler(SentryHandler(client))
    log.propagate = False
    bucket = ids["template"]
    for user in ("alice", "bob"):
        log.warning("user %s not found", user)
    bucket = ids["message"]
    client.captureMessage("gateway timeout")
    print(json.dumps(ids))


if __name__ == "__main__":
    main(sys.argv[1])
