"""The real sentry-sdk against the real web server and worker: an error and a user report
about it (sent by the SDK's own transport) end up together on the issue."""

import subprocess
import sys
from pathlib import Path

import pytest

from events.models import Issue
from feedback.models import Feedback
from tests.support.factories import ProjectFactory
from tests.support.stack import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]
SCRIPT = Path(__file__).with_name("sdk_feedback.py")


def test_sentry_sdk_user_report(live_stack):
    project = ProjectFactory()
    project.alert_rules.all().delete()
    dsn = project.keys.get().dsn(live_stack.base_url)
    run = subprocess.run([sys.executable, str(SCRIPT), dsn], capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    event_id = run.stdout.strip()

    def linked():
        row = Feedback.objects.filter(project=project).first()
        return row is not None and row.issue_id is not None

    wait_until(linked, what=lambda: f"the report on its issue\n{live_stack.log_text()}")
    row = Feedback.objects.get(project=project)
    assert (row.event_id, row.name, row.email, row.message, row.source) == (
        event_id, "Jane", "jane@example.com", "It broke when I saved", "user_report"
    )  # fmt: skip
    assert row.issue_id == Issue.objects.get(project=project).pk
