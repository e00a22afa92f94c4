"""The unmodified sentry-cli, the latest 2.x and 3.x, against the real web server: the
release steps of a CI pipeline (README, Releases). 2.x talks to the project endpoints,
3.x to the organization ones (docs: protocols-releases.md §h)."""

import subprocess

import pytest

from api.models import ApiToken
from projects.models import Membership
from releases.models import Commit, Deploy, Release, ReleaseCommit, Repository
from tests.support.extra_packages import SENTRY_CLI, SENTRY_CLI_2, require
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]
VERSION = "web@1.4.2+build.7"


def binary(extra):
    require(extra)  # skips, naming ./test.sh, when it is not installed
    return extra.module("@sentry/cli-linux-x64") / "bin" / "sentry-cli"


def git(repo, *args) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repo), "GIT_AUTHOR_NAME": "Ann Dev",
           "GIT_AUTHOR_EMAIL": "ann@example.com", "GIT_COMMITTER_NAME": "Ann Dev",
           "GIT_COMMITTER_EMAIL": "ann@example.com"}  # fmt: skip
    run = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return run.stdout.strip()


@pytest.fixture
def checkout(tmp_path):
    """A throwaway git repository with two commits and an `origin` remote."""
    repo = tmp_path / "app"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for name, message in (("a.txt", "first commit"), ("b.txt", "second commit")):
        (repo / name).write_text(name)
        git(repo, "add", name)
        git(repo, "commit", "-q", "-m", message)
    git(repo, "remote", "add", "origin", "https://github.com/acme/app")
    return repo


@pytest.mark.parametrize("extra", [SENTRY_CLI_2, SENTRY_CLI], ids=["cli-2", "cli-3"])
def test_release_steps_of_a_ci_pipeline(live_stack, checkout, tmp_path, extra):
    cli_binary = binary(extra)
    user = UserFactory(username="ci", email="ci@example.com")
    org = OrganizationFactory(slug="acme")
    MembershipFactory(user=user, organization=org, role=Membership.Role.MEMBER)
    project = ProjectFactory(organization=org, slug="web", name="Web")
    _row, token = ApiToken.issue(user, scopes=["read", "write"], name="ci")
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SENTRY_URL": live_stack.base_url,
        "SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "acme", "SENTRY_PROJECT": "web",
        "SENTRY_DISABLE_UPDATE_CHECK": "1",
    }  # fmt: skip

    def cli(*args, cwd=checkout):
        run = subprocess.run([str(cli_binary), *args], capture_output=True, text=True,
                             timeout=60, env=env, cwd=cwd)  # fmt: skip
        assert run.returncode == 0, f"{args}: {run.stdout}\n{run.stderr}\n{live_stack.log_text()}"
        return run.stdout + run.stderr

    cli("releases", "new", VERSION)
    release = Release.objects.get(organization=org, version=VERSION)
    assert list(release.projects.all()) == [project] and release.date_released is None

    # --local: the checkout's history, authors and changed files.
    cli("releases", "set-commits", VERSION, "--local")
    head, first = git(checkout, "rev-parse", "HEAD"), git(checkout, "rev-parse", "HEAD~1")
    links = list(ReleaseCommit.objects.filter(release=release).select_related("commit__repository"))
    assert [link.commit.key for link in links] == [head, first]
    newest = links[0].commit
    assert (newest.message.strip(), newest.author_email) == ("second commit", "ann@example.com")
    assert newest.files == [{"path": "b.txt", "type": "A"}]
    assert newest.repository.name == "origin" and newest.repository.provider == ""

    # --auto with no repository configured: sentry-cli falls back to the local history.
    out = cli("releases", "set-commits", VERSION, "--auto")
    assert "Proceeding to find commits from local git tree" in out
    assert ReleaseCommit.objects.filter(release=release).count() == 2

    # With a configured repository: --commit and --auto send refs.
    Repository.objects.create(organization=org, name="acme/app", url="https://github.com/acme/app",
                              provider="integrations:github")  # fmt: skip
    cli("releases", "set-commits", VERSION, "--commit", f"acme/app@{first}..{head}")
    release.refresh_from_db()
    assert release.refs == [{"repository": "acme/app", "commit": head, "previousCommit": first}]
    assert Commit.objects.filter(repository__name="acme/app", key=head).exists()
    (checkout / "c.txt").write_text("c")
    git(checkout, "add", "c.txt")
    git(checkout, "commit", "-q", "-m", "third commit")
    cli("releases", "set-commits", VERSION, "--auto")
    release.refresh_from_db()
    assert release.refs[0]["commit"] == git(checkout, "rev-parse", "HEAD")

    cli("releases", "finalize", VERSION)
    release.refresh_from_db()
    assert release.date_released is not None

    cli("deploys", "new", "--release", VERSION, "-e", "production", "-n", "blue")
    deploy = Deploy.objects.get(release=release)
    assert (deploy.environment, deploy.name) == ("production", "blue")
    assert "production" in cli("deploys", "list", "--release", VERSION)

    listed = cli("releases", "list")
    assert VERSION in listed
    assert VERSION in cli("releases", "info", VERSION)

    cli("releases", "new", "2.0.0", "--finalize")
    assert Release.objects.get(version="2.0.0").date_released is not None
    cli("releases", "archive", "2.0.0")
    assert Release.objects.get(version="2.0.0").status == "archived"
    cli("releases", "delete", "2.0.0")
    assert not Release.objects.filter(version="2.0.0").exists()
