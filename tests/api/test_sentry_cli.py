"""The unmodified sentry-cli against the real web server and worker, configured with nothing
but SENTRY_URL, SENTRY_AUTH_TOKEN, SENTRY_ORG and SENTRY_PROJECT (plus, for send-event, the
SENTRY_DSN it insists on, read from our keys endpoint with the same token)."""

import json
import subprocess
import urllib.request
import uuid

import pytest

from api import shapes
from api.models import ApiToken
from events.models import Issue
from projects.models import Membership
from tests.api import sentry_cli
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.support.payloads import python_error
from tests.support.stack import wait_until
from tests.support.world import store

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]


@pytest.fixture(scope="session")
def cli_binary():
    return sentry_cli.binary()  # skips, naming ./test.sh, when it is not installed


def test_sentry_cli_info_send_event_list_and_resolve(live_stack, cli_binary, tmp_path):
    user = UserFactory(username="ci", email="ci@example.com")
    org = OrganizationFactory(slug="acme")
    MembershipFactory(user=user, organization=org, role=Membership.Role.MEMBER)
    project = ProjectFactory(organization=org, slug="backend", name="Backend")
    # Its 131 new issues would otherwise queue 131 alert emails (and their retries) that a
    # later live test's worker still works through: tests/alerts e2e then timed out on SQLite.
    project.alert_rules.all().delete()
    _row, token = ApiToken.issue(user, scopes=["read", "write"], name="sentry-cli")
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SENTRY_URL": live_stack.base_url,
        "SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "acme", "SENTRY_PROJECT": "backend",
        "SENTRY_DISABLE_UPDATE_CHECK": "1",
    }  # fmt: skip

    def cli(*args, extra_env=None):
        run = subprocess.run([str(cli_binary), *args], capture_output=True, text=True,
                             timeout=60, env={**env, **(extra_env or {})})  # fmt: skip
        assert run.returncode == 0, f"{args}: {run.stdout}\n{run.stderr}\n{live_stack.log_text()}"
        return run.stdout

    info = cli("info")
    assert "ci@example.com" in info and "Auth Token" in info
    assert "- read" in info and "- write" in info
    assert "No issues found" in cli("issues", "list")

    # No sentry-cli version reads the DSN from the API (README, REST API): without
    # SENTRY_DSN, send-event stops before sending anything.
    refused = subprocess.run([str(cli_binary), "send-event", "-m", "x", "--no-environ"],
                             capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert refused.returncode == 1 and "SENTRY_DSN" in refused.stderr, refused.stderr

    request = urllib.request.Request(
        f"{live_stack.base_url}/api/0/projects/acme/backend/keys/",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        dsn = json.load(response)[0]["dsn"]["public"]
    assert dsn == project.keys.get().dsn(live_stack.base_url)
    message = f"deploy broke {uuid.uuid4().hex[:8]}"
    sent = cli("send-event", "-m", message, "--no-environ", extra_env={"SENTRY_DSN": dsn})
    assert "Event dispatched" in sent

    wait_until(lambda: message in cli("issues", "list"), timeout=30, what="the sent issue")
    listed = cli("issues", "list")
    issue = Issue.objects.get(project=project)
    assert shapes.short_id("backend", issue.short_number) in listed and "unresolved" in listed

    assert "resolved" in cli("issues", "resolve", "--all")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    assert "| resolved" in cli("issues", "list")

    cli("issues", "mute", "--id", str(issue.pk))
    issue.refresh_from_db()
    assert issue.status == Issue.Status.IGNORED
    cli("issues", "unresolve", "--status", "muted")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED

    # More than one page (100 issues a page): sentry-cli follows our Link header.
    store(project, *[python_error(type_=f"Page{n}Error") for n in range(130)])
    # The live worker may hold part of the batch: wait for every issue to be stored.
    wait_until(lambda: Issue.objects.filter(project=project).count() == 131, what="131 issues")
    rows = [line for line in cli("issues", "list", "--query", "is:unresolved").splitlines()
            if line.startswith("| ") and "Issue ID" not in line]  # fmt: skip
    assert len(rows) == 131
    assert len({row.split("|")[1].strip() for row in rows}) == 131
