"""A small program using the handler, run as a subprocess by the end-to-end test:
    python demo_app.py DSN
Logs a chained exception twice, one template with two parameters, and one other message."""

import json
import logging
import sys

from aggregator_client import AggregatorHandler


def parse_amount(text):
    try:
        return 100 / int(text)
    except ZeroDivisionError as exc:
        raise ValueError(f"invalid amount {text!r}") from exc


def main(dsn: str) -> None:
    scheme = dsn.partition(":")[0]
    handler = AggregatorHandler(dsn, release="demo@1.0", environment="e2e", tags={"via": scheme})
    log = logging.getLogger("shop.payments")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    for _ in range(2):
        try:
            parse_amount("0")
        except ValueError:
            log.exception("charge failed", extra={"order": {"id": 7}})
    for user in ("alice", "bob"):
        log.warning("user %s not found", user)
    log.error("gateway timeout after %d ms", 3000)
    handler.flush(10)
    print(json.dumps(handler.stats()))


if __name__ == "__main__":
    main(sys.argv[1])
