"""The real sentry-cli binary: the npm registry's @sentry/cli-linux-x64 package, which
./test.sh installs into .venv/extra (tests/support/extra_packages.py) before pytest."""

from pathlib import Path

from tests.support.extra_packages import SENTRY_CLI, require


def binary() -> Path:
    """The installed binary, or skip the calling test saying how to install it."""
    require(SENTRY_CLI)
    return SENTRY_CLI.module("@sentry/cli-linux-x64") / "bin" / "sentry-cli"
