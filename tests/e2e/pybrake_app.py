"""Run by the end-to-end test with the real pybrake: python pybrake_app.py HOST PROJECT KEY
Notifies a handled, chained exception twice; prints what pybrake got back."""

import json
import sys

import pybrake


def parse_amount(text):
    try:
        return 100 / int(text)
    except ZeroDivisionError as exc:
        raise ValueError(f"invalid amount {text!r}") from exc


def main(host, project_id, key):
    notifier = pybrake.Notifier(
        project_id=int(project_id), project_key=key, host=host, environment="e2e",
        performance_stats=False, query_stats=False, queue_stats=False,
    )  # fmt: skip
    notices = []
    for _ in range(2):
        try:
            parse_amount("0")
        except ValueError as err:
            notice = notifier.notify_sync(err)
            notices.append({"id": notice.get("id"), "error": str(notice.get("error") or "")})
    print(json.dumps(notices))


if __name__ == "__main__":
    main(*sys.argv[1:4])
