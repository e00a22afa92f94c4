"""The real clients against the real web server and worker: sentry-sdk's `monitor` and
`capture_checkin` with monitor_config, `sentry-cli monitors run -- true / false`, `sentry-cli
monitors list`, and curl-style HTTP check-ins."""

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from api.models import ApiToken
from events.models import Issue
from monitors.models import CheckIn, Monitor
from projects.models import Membership
from tests.api import sentry_cli
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.support.stack import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]
SCRIPT = Path(__file__).with_name("sdk_checkins.py")


def test_sentry_sdk_monitor_and_capture_checkin(live_stack):
    project = ProjectFactory()
    project.alert_rules.all().delete()
    dsn = project.keys.get().dsn(live_stack.base_url)
    run = subprocess.run([sys.executable, str(SCRIPT), dsn], capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    cid = run.stdout.strip()

    def finished():
        return (
            CheckIn.objects.filter(monitor__project=project).exclude(status="in_progress").count()
            == 3
        )

    wait_until(finished, what=lambda: f"3 finished check-ins\n{live_stack.log_text()}")
    nightly = Monitor.objects.get(project=project, slug="nightly-job")
    assert (nightly.schedule_type, nightly.interval_value, nightly.interval_unit) == (
        "interval",
        10,
        "minute",
    )
    (checkin,) = nightly.checkins.all()
    assert checkin.check_in_id == cid.replace("-", "") and checkin.status == "ok"
    assert checkin.duration == 0.3 and checkin.release == "1.0.0"
    ok = Monitor.objects.get(project=project, slug="decorated-ok")
    assert ok.crontab == "0 * * * *" and ok.timezone == "Europe/Vienna"
    assert ok.checkins.get().duration >= 0.05
    failed = Monitor.objects.get(project=project, slug="decorated-fail")
    assert failed.schedule_type == "" and failed.checkins.get().status == "error"
    wait_until(lambda: Issue.objects.filter(project=project).exists(), what="the failure issue")
    assert Issue.objects.get(project=project).title == (
        "Monitor failure: decorated-fail: check-in reported an error"
    )


@pytest.fixture(scope="session")
def cli_binary():
    return sentry_cli.binary()


def test_sentry_cli_monitors_run_list_and_curl(live_stack, cli_binary, tmp_path):
    user = UserFactory(username="cron", email="cron@example.com")
    org = OrganizationFactory(slug="acme")
    MembershipFactory(user=user, organization=org, role=Membership.Role.MEMBER)
    project = ProjectFactory(organization=org, slug="web")
    project.alert_rules.all().delete()
    key = project.keys.get()
    _row, token = ApiToken.issue(user, scopes=["read"], name="sentry-cli")
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SENTRY_URL": live_stack.base_url,
        "SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "acme", "SENTRY_PROJECT": "web",
        "SENTRY_DISABLE_UPDATE_CHECK": "1", "SENTRY_DSN": key.dsn(live_stack.base_url),
    }  # fmt: skip

    def cli(*args):
        return subprocess.run([str(cli_binary), *args], capture_output=True, text=True,
                              timeout=60, env=env)  # fmt: skip

    ok = cli("monitors", "run", "-s", "*/5 * * * *", "--check-in-margin", "2",
             "--max-runtime", "10", "--timezone", "Europe/Berlin",
             "--failure-issue-threshold", "1", "--recovery-threshold", "2",
             "backup", "--", "true")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    failed = cli("monitors", "run", "backup", "--", "false")
    assert failed.returncode == 1  # the command's own exit code

    def checkins_done():
        return list(
            CheckIn.objects.filter(monitor__project=project, monitor__slug="backup")
            .exclude(status="in_progress")
            .order_by("received")
            .values_list("status", flat=True)
        ) == ["ok", "error"]

    wait_until(checkins_done, what=lambda: f"ok then error\n{live_stack.log_text()}")
    backup = Monitor.objects.get(project=project, slug="backup")
    assert (backup.crontab, backup.timezone, backup.checkin_margin, backup.max_runtime) == (
        "*/5 * * * *",
        "Europe/Berlin",
        2,
        10,
    )
    assert backup.recovery_threshold == 2
    assert all(c.environment == "production" for c in backup.checkins.all())
    wait_until(lambda: Issue.objects.filter(project=project).exists(), what="the failure issue")

    # curl-style: the plain HTTP URL, GET and POST, as a shell script calls it.
    base = f"{live_stack.base_url}/api/{project.pk}/cron/curl-job/{key.public_key}/"
    with urllib.request.urlopen(base + "?status=in_progress", timeout=10) as response:
        assert response.status == 202
    request = urllib.request.Request(base + "?status=ok", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
    # Without a check-in id the closing check-in finishes the latest one in progress.
    wait_until(
        lambda: (
            list(CheckIn.objects.filter(monitor__slug="curl-job").values_list("status", flat=True))
            == ["ok"]
        ),
        what="the curl check-in",
    )

    # More than one page (100 a page): the CLI follows the Link header's next cursor.
    Monitor.objects.bulk_create(
        [Monitor(project=project, slug=f"bulk-{n:03}", name=f"bulk-{n:03}") for n in range(100)]
    )
    listed = cli("monitors", "list")
    assert listed.returncode == 0, listed.stderr
    assert "backup" in listed.stdout and "curl-job" in listed.stdout
    assert str(backup.pk) in listed.stdout
    assert all(f"bulk-{n:03}" in listed.stdout for n in range(100))
