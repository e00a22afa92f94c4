"""A real front-end build: TypeScript bundled by esbuild, debug IDs injected by sentry-cli and
uploaded, loaded in the system Chromium, where @sentry/browser reports a thrown error to our
DSN. Its in-app frames read as the TypeScript source; a second build with other
minification groups into the same issue; the issue page shows the .ts file and lines."""

import functools
import http.server
import threading
from pathlib import Path

import pytest

from events.models import Event
from tests.sourcemaps import jsapp
from tests.support.browser import ARTIFACTS, log_in, watched_page
from tests.support.extra_packages import SENTRY_BROWSER, require
from tests.support.stack import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]

BROWSER_MAIN_TS = """\
import * as Sentry from "@sentry/browser";
import { splitBill } from "./checkout";

declare const DSN: string;
Sentry.init({ dsn: DSN, release: "shop@1.0.0" });

async function report(): Promise<void> {
  try {
    splitBill();
  } catch (error) {
    Sentry.captureException(error);
  }
  await Sentry.flush(5000);
  document.title = "sent";
}

document.getElementById("go")!.addEventListener("click", () => void report());
"""
PAGE = '<!doctype html><html><head><title>shop</title><link rel="icon" href="data:,"></head><body><button id="go">pay</button><script src="{script}"></script></body></html>'


@pytest.fixture
def static_site(tmp_path):
    """A plain static web server for the built files (another origin than the DSN's)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def build(root: Path, out: str, variant: str, dsn: str, env: dict, cli: Path) -> None:
    node_modules = require(SENTRY_BROWSER) / "node_modules"
    jsapp.esbuild(root, out=out, variant=variant, platform="browser",
                  extra=(f"--define:DSN={dsn!r}".replace("'", '"'), "--format=iife",
                         f"--alias:@sentry/browser={node_modules / '@sentry' / 'browser'}"))  # fmt: skip
    folder = str(Path(out).parent)
    jsapp.run_cli(cli, env, "sourcemaps", "inject", folder, cwd=root)
    jsapp.run_cli(cli, env, "sourcemaps", "upload", folder, cwd=root)


def test_browser_error_maps_to_typescript_and_two_builds_share_an_issue(
    live_stack, browser, static_site, tmp_path
):
    project, env = jsapp.ci_project(live_stack.base_url, tmp_path, username="front",
                                    slug="web", name="Web", platform="javascript")  # fmt: skip
    dsn = project.keys.get().dsn(live_stack.base_url)
    jsapp.write_sources(tmp_path, main=BROWSER_MAIN_TS)
    cli = jsapp.cli(3)
    build(tmp_path, "one/app.js", "minify", dsn, env, cli)
    build(tmp_path, "two/app.js", "plain", dsn, env, cli)
    assert (tmp_path / "one/app.js").read_text() != (tmp_path / "two/app.js").read_text()

    for n, folder in enumerate(("one", "two"), start=1):
        (tmp_path / f"{folder}.html").write_text(PAGE.format(script=f"{folder}/app.js"))
        with watched_page(browser) as page:
            page.goto(f"{static_site}/{folder}.html")
            page.click("#go")
            page.wait_for_function("document.title === 'sent'", timeout=15_000)
        wait_until(lambda n=n: Event.objects.filter(project=project).count() == n,
                   what=f"event {n}")  # fmt: skip

    events = list(Event.objects.filter(project=project).order_by("pk"))
    for event in events:
        frames = jsapp.app_frames(event.data)
        crash = frames[-1]
        assert (crash["filename"], crash["lineno"], crash["function"]) == (
            "src/math.ts",
            3,
            "divide",
        ), frames
        assert "throw new Error" in crash["context_line"]
        assert "export function divide" in crash["pre_context"][0]
        functions = [f["function"] for f in frames]
        assert "Checkout.total" in functions and "splitBill" in functions
        assert not any("node_modules" in f["abs_path"] for f in frames)
        assert event.data["debug_meta"]["images"][0]["type"] == "sourcemap"
    assert events[0].issue_id == events[1].issue_id  # two minifications, one issue

    with watched_page(browser) as page:
        log_in(page, live_stack.base_url, "front")
        page.goto(f"{live_stack.base_url}/issues/{events[0].issue_id}/")
        page.screenshot(path=str(ARTIFACTS / "sourcemaps-issue.png"), full_page=True)
        text = page.inner_text("body")
        assert "src/math.ts" in text and "divide" in text
        assert "throw new Error(`cannot divide ${numerator} by zero`);" in text
        assert "source-mapped from" in text
