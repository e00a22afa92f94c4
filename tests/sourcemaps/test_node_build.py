"""@sentry/node in a server file bundled by esbuild (debug IDs injected and uploaded by
sentry-cli 2.x): the captured error arrives mapped to the TypeScript source, and a second
build with other minification groups into the same issue."""

import os
import subprocess

import pytest

from events.models import Event
from tests.sourcemaps import jsapp
from tests.support.extra_packages import SENTRY_NODE, require
from tests.support.stack import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]

NODE_MAIN_TS = """\
import * as Sentry from "@sentry/node";
import { splitBill } from "./checkout";

Sentry.init({ dsn: process.env.DSN, release: "api@2.0.0" });

async function main(): Promise<void> {
  try {
    splitBill();
  } catch (error) {
    Sentry.captureException(error);
  }
  await Sentry.flush(5000);
}

void main();
"""


def test_node_error_maps_to_typescript_and_two_builds_share_an_issue(live_stack, tmp_path):
    project, env = jsapp.ci_project(live_stack.base_url, tmp_path, username="back",
                                    slug="api", name="API", platform="node")  # fmt: skip
    node_modules = require(SENTRY_NODE) / "node_modules"
    jsapp.write_sources(tmp_path, main=NODE_MAIN_TS)
    cli = jsapp.cli(2)
    for n, (folder, variant) in enumerate((("one", "minify"), ("two", "plain")), start=1):
        bundle = jsapp.esbuild(tmp_path, out=f"{folder}/index.js", variant=variant,
                               extra=("--packages=external",))  # fmt: skip
        jsapp.run_cli(cli, env, "sourcemaps", "inject", folder, cwd=tmp_path)
        jsapp.run_cli(cli, env, "sourcemaps", "upload", folder, cwd=tmp_path)
        run_env = {**os.environ, "DSN": project.keys.get().dsn(live_stack.base_url),
                   "NODE_PATH": str(node_modules)}  # fmt: skip
        done = subprocess.run([jsapp.node(), str(bundle)], env=run_env, capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        wait_until(lambda n=n: Event.objects.filter(project=project).count() == n,
                   what=f"event {n}")  # fmt: skip

    events = list(Event.objects.filter(project=project).order_by("pk"))
    for event in events:
        assert event.data["debug_meta"]["images"][0]["type"] == "sourcemap"
        frames = jsapp.app_frames(event.data)
        crash = frames[-1]
        assert (crash["filename"], crash["lineno"], crash["function"]) == (
            "src/math.ts",
            3,
            "divide",
        ), frames
        assert "throw new Error" in crash["context_line"]
        assert "Checkout.total" in [f["function"] for f in frames]
    assert events[0].issue_id == events[1].issue_id
