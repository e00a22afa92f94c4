"""The real pybrake notifier against the real web server and Celery worker."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from events.models import Event, Issue
from tests.support.extra_packages import PYBRAKE, require
from tests.support.factories import ProjectFactory
from tests.support.notices import BILLION_LAUGHS
from tests.support.stack import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]
APP = Path(__file__).with_name("pybrake_app.py")


@pytest.fixture(scope="session")
def pybrake_dir():
    return require(PYBRAKE)  # ./test.sh installs it (tests/support/extra_packages.py)


def post(url: str, body: bytes, **headers) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_pybrake_handled_chained_exception(live_stack, pybrake_dir):
    project = ProjectFactory()
    key = project.keys.get()
    # Hostile bodies first: clear 4xx answers, and the server keeps serving.
    laughs = BILLION_LAUGHS.replace(b"{key}", key.public_key.encode())
    status, body = post(live_stack.base_url + "/notifier_api/v2/notices", laughs)
    assert status == 400 and "DTD" in body["message"]
    v3 = f"{live_stack.base_url}/api/v3/projects/{project.id}/notices?key={key.public_key}"
    assert post(v3, b'{"errors": "nope"}')[0] == 400
    assert post(v3, bytes(range(256)))[0] == 400

    env = {**os.environ, "PYTHONPATH": str(pybrake_dir)}
    run = subprocess.run(
        [sys.executable, str(APP), live_stack.base_url, str(project.id), key.public_key],
        capture_output=True, text=True, timeout=60, env=env, cwd=APP.parent,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    notices = json.loads(run.stdout.strip().splitlines()[-1])
    assert [n["error"] for n in notices] == ["", ""], notices
    ids = [n["id"] for n in notices]
    wait_until(lambda: Event.objects.filter(project=project).count() == 2,
               what=f"2 pybrake events\n{live_stack.log_text()}")  # fmt: skip

    [issue] = Issue.objects.filter(project=project)
    assert issue.title == "ValueError: invalid amount '0'"
    assert issue.culprit == "pybrake_app.py in parse_amount"
    assert issue.times_seen == 2 and issue.type == "error" and issue.platform == "python"
    event = Event.objects.get(project=project, event_id=ids[0])
    assert event.environment == "e2e"
    values = event.data["exception"]["values"]
    assert [v["type"] for v in values] == ["ZeroDivisionError", "ValueError"]
    frames = values[-1]["stacktrace"]["frames"]
    assert [f["function"] for f in frames] == ["main", "parse_amount"]
    crash = frames[-1]
    assert (
        crash["filename"] == "pybrake_app.py"
        and crash["abs_path"] == "/PROJECT_ROOT/pybrake_app.py"
    )
    assert crash["in_app"] and crash["context_line"].strip().startswith("raise ValueError(")
    assert crash["lineno"] == 14 and crash["pre_context"]
    assert values[0]["stacktrace"]["frames"][-1]["context_line"].strip() == "return 100 / int(text)"
    assert event.data["sdk"]["name"] == "pybrake"
