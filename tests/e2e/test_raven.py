"""Unmodified raven clients against the real servers: raven 6.10 over HTTP (store endpoint,
zlib body labelled deflate, secret DSN) and raven 5.2, the last release with the UDP
transport, over udp://. raven 5.2 uses `async` as a name, a keyword since Python 3.7, so it
runs under an older interpreter when the machine has one (pyenv ships 3.6 here); only that
half skips without one. ./test.sh prepares both ravens (tests/support/extra_packages.py)."""

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from events.models import Event, Issue
from tests.support.extra_packages import RAVEN_HTTP, RAVEN_UDP, require
from tests.support.factories import ProjectFactory
from tests.support.stack import wait_until
from tests.support.udp_server import udp_server

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]
APP = Path(__file__).with_name("raven_app.py")


def old_python() -> str | None:
    """A working Python below 3.7, for raven 5.2 (its transports have an `async` attribute)."""
    candidates = []
    for pattern in ("3.6*", "3.5*", "2.7*"):
        for root in (
            os.environ.get("PYENV_ROOT", ""),
            os.path.expanduser("~/.pyenv"),
            "/root/.pyenv",
        ):
            candidates += sorted(
                glob.glob(os.path.join(root, "versions", pattern, "bin", "python"))
            )
    candidates += [shutil.which(name) for name in ("python3.6", "python3.5", "python2.7")]
    for candidate in candidates:  # pyenv shims exist but fail for versions not selected
        if candidate and subprocess.run(
            [candidate, "-c", "import sys; sys.exit(sys.version_info >= (3, 7))"],
            capture_output=True, timeout=30,
        ).returncode == 0:  # fmt: skip
            return candidate
    return None


def run_app(python: str, raven_dir: Path, dsn: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(raven_dir), "PYTHONNOUSERSITE": "1"}
    env.pop("SENTRY_DSN", None)
    run = subprocess.run(
        [python, str(APP), dsn], capture_output=True, text=True, timeout=60, env=env
    )
    assert run.returncode == 0, run.stderr
    # raven 6's threaded transport may print "… pending error messages" at exit
    [line] = [line for line in run.stdout.splitlines() if line.startswith("{")]
    return json.loads(line)


def diagnose(project) -> str:
    from events.models import FailedPayload
    from events.queue import get_queue

    stored = sorted(Event.objects.filter(project=project).values_list("event_id", flat=True))
    failed = list(FailedPayload.objects.values_list("project_id", "reason")[:10])
    return f"stored {stored}; failed payloads {failed}; backlog {get_queue().backlog()}"


def wait_for_events(stack, via: str, project) -> None:
    wait_until(lambda: Event.objects.filter(project=project).count() == 5,
               what=lambda: f"5 raven events over {via}\n{diagnose(project)}\n"
               f"{stack.log_text()}")  # fmt: skip


def check_issues(via: str, project, ids: dict) -> None:
    issue_of = {case: {Event.objects.get(project=project, event_id=i).issue_id for i in group}
                for case, group in ids.items()}  # fmt: skip
    assert all(len(issues) == 1 for issues in issue_of.values()), (via, issue_of)
    issues = {case: Issue.objects.get(id=next(iter(s))) for case, s in issue_of.items()}
    assert len({i.id for i in issues.values()}) == 3

    chained = issues["chained"]
    assert chained.title == "ValueError: invalid amount '0'", via
    assert chained.times_seen == 2 and chained.first_release == "legacy@1.0"
    assert chained.culprit == "__main__ in parse_amount", via
    event = Event.objects.get(event_id=ids["chained"][0])
    frames = event.data["exception"]["values"][-1]["stacktrace"]["frames"]
    assert frames[-1]["function"] == "parse_amount" and frames[-1]["context_line"].strip()
    types = [e["type"] for e in event.data["exception"]["values"]]
    # raven 6 sends the chain; raven 5.2 only the exception that was raised
    assert types == (["ZeroDivisionError", "ValueError"] if via == "http" else ["ValueError"])

    template = issues["template"]
    assert template.times_seen == 2 and template.title == "user alice not found"
    assert template.level == "warning"
    assert Event.objects.get(event_id=ids["template"][0]).data["logger"] == "legacy.app"
    assert issues["message"].title == "gateway timeout" and issues["message"].level == "error"


def test_raven_6_over_http(live_stack):
    raven_dir = require(RAVEN_HTTP)
    project = ProjectFactory()
    dsn = project.keys.get().secret_dsn(live_stack.base_url)
    ids = run_app(sys.executable, raven_dir, dsn)
    wait_for_events(live_stack, "http", project)
    check_issues("http", project, ids)


def test_raven_5_over_udp(live_stack, tmp_path):
    old = old_python()
    if old is None:
        pytest.skip("no Python < 3.7 found (pyenv 3.6/3.5/2.7, python3.6 on PATH) to run raven 5.2, "
                    "the last raven with the UDP transport; the raven 6 HTTP test does not need it")  # fmt: skip
    raven_dir = require(RAVEN_UDP)
    with udp_server(live_stack.env, tmp_path) as udp:
        project = ProjectFactory()
        ids = run_app(old, raven_dir, udp.dsn(project.keys.get()))
        wait_for_events(live_stack, "udp", project)
        # The listener writes its stats file every 0.1 s: it may lag the stored events.
        udp.wait_for(lambda s: s["accepted"] == 5, what="5 accepted in the UDP stats")
        assert udp.stats()["rejected_total"] == 0
    check_issues("udp", project, ids)
