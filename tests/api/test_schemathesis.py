"""Schemathesis against the live schema and server, with a token: no 5xx, and every
documented response matches the schema. Path parameters point at real data (deletes at an
organization of their own, so they do not empty the one the other operations read;
so do changes of project and key settings, which could rename or disable them)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.models import ApiToken
from projects.models import Membership
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.support.payloads import message_event, python_error
from tests.support.world import store

pytestmark = pytest.mark.e2e
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "6"))  # bounded: ~25 s


@pytest.fixture
def _no_throttle(monkeypatch):
    monkeypatch.setenv("API_THROTTLE_RATE", "100000/min")


def config(ids: dict, scratch: dict) -> str:
    """schemathesis.toml: path parameters for real rows; `scratch` ones for destructive calls."""
    inline = ", ".join(f"{k} = {v!r}".replace("'", '"') for k, v in scratch.items())
    return (
        "[parameters]\n"
        + "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in ids.items())
        + f"""

[[operations]]
include-method = "DELETE"
parameters = {{ {inline} }}

[[operations]]
include-operation-id = ["projects_org_slug_project_slug_update",
                        "projects_org_slug_project_slug_keys_key_id_update"]
parameters = {{ {inline} }}
"""
    )


def test_schemathesis_finds_no_server_errors_and_no_schema_violations(
    _no_throttle,
    live_stack,
    tmp_path,
):
    user = UserFactory(username="fuzzer")
    scratch = OrganizationFactory(slug="scratch")
    acme = OrganizationFactory(slug="acme")
    own = MembershipFactory(user=user, organization=acme, role=Membership.Role.OWNER)
    MembershipFactory(user=user, organization=scratch, role=Membership.Role.OWNER)
    removable = MembershipFactory(organization=scratch)
    project = ProjectFactory(organization=acme, slug="backend")
    issues = store(project, python_error(user={"id": "u1"}, tags={"browser": "Firefox"}),
                   message_event(), python_error(type_="KeyError"))  # fmt: skip
    scratch_project = ProjectFactory(organization=scratch, slug="backend")
    scratch_issue = store(scratch_project, python_error())[0]
    _row, token = ApiToken.issue(user, scopes=["read", "write", "admin"])
    ids = {"org_slug": "acme", "project_slug": "backend", "issue_id": issues[0].pk,
           "event_id": issues[0].last_event_id, "key_id": project.keys.get().public_key,
           "member_id": own.pk, "rule_id": project.alert_rules.get().pk}  # fmt: skip
    scratch_ids = {"org_slug": "scratch", "project_slug": "backend", "issue_id": scratch_issue.pk,
                   "key_id": scratch_project.keys.get().public_key, "member_id": removable.pk,
                   "rule_id": scratch_project.alert_rules.get().pk}  # fmt: skip
    (tmp_path / "schemathesis.toml").write_text(config(ids, scratch_ids))
    run = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(tmp_path / "schemathesis.toml"), "--no-color",
         "run", f"{live_stack.base_url}/api/0/schema/", "-H", f"Authorization: Bearer {token}",
         "--checks", "not_a_server_error,response_schema_conformance",
         "--phases", "examples,coverage,fuzzing", "--max-examples", str(MAX_EXAMPLES),
         "--seed", os.environ.get("SCHEMATHESIS_SEED", "20261127"), "--workers", "1", "--generation-database", "none",
         "--request-timeout", "10"],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )  # fmt: skip
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report + live_stack.log_text()
    assert "Tested: 42" in run.stdout, report
