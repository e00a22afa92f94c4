"""The logging handler in a real program, against the real UDP listener and the real HTTP
server, both feeding the real Celery worker: what gets grouped how."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from events.models import Event, Issue
from tests.client.conftest import CLIENT_DIR
from tests.support.factories import ProjectFactory
from tests.support.stack import wait_until
from tests.support.udp_server import udp_server

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]
APP = Path(__file__).with_name("demo_app.py")


def test_handler_events_are_grouped_over_udp_and_http(live_stack, tmp_path):
    projects = {}
    env = {**os.environ, "PYTHONPATH": str(CLIENT_DIR)}
    with udp_server(live_stack.env, tmp_path) as udp:
        for via in ("udp", "http"):
            project = ProjectFactory()
            key = project.keys.get()
            dsn = udp.dsn(key) if via == "udp" else key.dsn(live_stack.base_url)
            run = subprocess.run([sys.executable, str(APP), dsn], capture_output=True, text=True,
                                 timeout=60, env=env)  # fmt: skip
            assert run.returncode == 0, run.stderr
            assert json.loads(run.stdout) == {"sent": 5}
            projects[via] = project
        for via, project in projects.items():
            wait_until(lambda p=project: Event.objects.filter(project=p).count() == 5,
                       what=f"5 events over {via}\n{live_stack.log_text()}")  # fmt: skip
        # The listener writes its stats file every 0.1 s: it may lag the stored events.
        udp.wait_for(lambda s: s["accepted"] == 5, what="5 accepted in the UDP stats")

    for via, project in projects.items():
        issues = {i.title: i for i in Issue.objects.filter(project=project)}
        # alice's and bob's warnings are one issue, titled by the event that made it: two
        # worker processes may store the two in either order.
        template_title = next(
            (t for t in issues if t in ("user alice not found", "user bob not found")), "none"
        )
        assert set(issues) == {
            "ValueError: invalid amount '0'",
            template_title,
            "gateway timeout after 3000 ms",
        }, via
        chained = issues["ValueError: invalid amount '0'"]
        assert chained.times_seen == 2 and chained.culprit == "__main__ in parse_amount"
        assert chained.level == "error" and chained.first_release == "demo@1.0"
        template = issues[template_title]
        assert (
            template.times_seen == 2 and template.level == "warning" and template.type == "default"
        )
        event = Event.objects.filter(issue=chained).first()
        assert event.environment == "e2e"
        data = event.data
        assert [e["type"] for e in data["exception"]["values"]] == [
            "ZeroDivisionError",
            "ValueError",
        ]
        crash = data["exception"]["values"][-1]["stacktrace"]["frames"][-1]
        assert crash["in_app"] and crash["context_line"].strip().startswith("raise ValueError")
        assert crash["pre_context"] and crash["filename"] == "demo_app.py"
        assert (
            data["logger"] == "shop.payments" and data["logentry"]["formatted"] == "charge failed"
        )
        assert ["via", via] in data["tags"] and data["extra"]["order"] == {"id": 7}
        assert data["server_name"]
