"""Sends check-ins with the real sentry-sdk. Run as a script: DSN. Prints the manual run's
check-in id. The decorator's failing run raises inside; the script catches it."""

import sys
import time

import sentry_sdk
from sentry_sdk.crons import capture_checkin, monitor
from sentry_sdk.crons.consts import MonitorStatus

CONFIG = {
    "schedule": {"type": "crontab", "value": "0 * * * *"},
    "checkin_margin": 5,
    "max_runtime": 30,
    "timezone": "Europe/Vienna",
    "failure_issue_threshold": 1,
    "recovery_threshold": 1,
}


@monitor(monitor_slug="decorated-ok", monitor_config=CONFIG)
def works():
    time.sleep(0.05)


@monitor(monitor_slug="decorated-fail")
def fails():
    raise RuntimeError("backup disk full")


def main(dsn: str) -> None:
    sentry_sdk.init(dsn=dsn, release="1.0.0", environment="production")
    cid = capture_checkin(monitor_slug="nightly-job", status=MonitorStatus.IN_PROGRESS,
                          monitor_config={**CONFIG, "schedule": {"type": "interval", "value": 10,
                                                                 "unit": "minute"}})  # fmt: skip
    capture_checkin(monitor_slug="nightly-job", check_in_id=cid, status=MonitorStatus.OK,
                    duration=0.3)  # fmt: skip
    works()
    try:
        fails()
    except RuntimeError:
        pass
    sentry_sdk.flush(10)
    print(cid)


if __name__ == "__main__":
    main(sys.argv[1])
