"""sentry-cli 2.x's legacy single-file upload (protocols-releases.md §d), which it uses when
the chunk-upload options do not accept release files: one multipart POST per file to the
release's files endpoint, keyed by the version string. The frames of an event of that
release are then mapped by release + URL."""

import pytest

from api.models import ApiToken
from projects.models import Membership
from sourcemaps.models import ArtifactBundle, ArtifactFile
from tests.sourcemaps import jsapp
from tests.sourcemaps.test_sentry_cli import assert_mapped, send
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]


@pytest.fixture
def live_stack_env():
    return {"SOURCEMAP_ACCEPT": "artifact_bundles"}  # no release_files: 2.x's legacy upload


def test_2x_legacy_upload_sourcemaps(live_stack, tmp_path):
    user = UserFactory(username="ci")
    org = OrganizationFactory(slug="acme")
    MembershipFactory(user=user, organization=org, role=Membership.Role.MEMBER)
    project = ProjectFactory(organization=org, slug="web", name="Web")
    project.alert_rules.all().delete()
    _row, token = ApiToken.issue(user, scopes=["read", "write"], name="ci")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SENTRY_URL": live_stack.base_url,
           "SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "acme", "SENTRY_PROJECT": "web",
           "SENTRY_DISABLE_UPDATE_CHECK": "1"}  # fmt: skip
    jsapp.write_sources(tmp_path)
    bundle = jsapp.esbuild(tmp_path)
    done = jsapp.run_cli(jsapp.cli(2), env, "releases", "files", "2.0.0", "upload-sourcemaps",
                         "dist", "--url-prefix", "~/static", cwd=tmp_path)  # fmt: skip
    assert "deprecated upload method" in done.stderr + done.stdout
    assert not ArtifactBundle.objects.exists()  # no bundle: one POST per file
    files = ArtifactFile.objects.filter(organization=org, release="2.0.0", bundle=None)
    assert {f.url for f in files} == {"~/static/app.js", "~/static/app.js.map"}
    assert files.get(url="~/static/app.js").sourcemap == "app.js.map"

    listed = jsapp.run_cli(jsapp.cli(2), env, "releases", "files", "2.0.0", "list", cwd=tmp_path)
    assert "~/static/app.js.map" in listed.stdout
    # Again: 2.x deletes the files it is about to upload, then uploads them anew.
    jsapp.run_cli(jsapp.cli(2), env, "releases", "files", "2.0.0", "upload-sourcemaps", "dist",
                  "--url-prefix", "~/static", cwd=tmp_path)  # fmt: skip
    assert ArtifactFile.objects.filter(organization=org, release="2.0.0").count() == 2

    event = jsapp.node_event(bundle, release="2.0.0")
    for frame in event["exception"]["values"][0]["stacktrace"]["frames"]:
        if frame["filename"] == str(bundle):
            frame["filename"] = frame["abs_path"] = "https://shop.example.com/static/app.js"
    assert_mapped(send(live_stack.base_url, project, event))
