"""A real web server (granian, as in production) on the test database, and system Chromium.

Only the web process: these tests write their data in-process through the real write path,
so no Celery worker is needed. Both live for a whole test module.
"""

import os
import subprocess
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.stack import BIN, ROOT, database_url, free_port, wait_until

ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@contextmanager
def web_server(logs: Path, db_url: str, **extra_env):
    """granian on the test database (`db_url`, from stack.database_url) at a free port;
    yields its base URL. `extra_env` adds to (or overrides) its environment, e.g.
    BASE_URL="https://…" with BEHIND_PROXY."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "INGEST_QUEUE_URL": settings.INGEST_QUEUE_URL,
           "DATA_DIR": str(settings.DATA_DIR), "BASE_URL": f"http://127.0.0.1:{port}",
           "INGEST_AUTO_DRAIN": "false", "PYTHONUNBUFFERED": "1", **extra_env}  # fmt: skip
    cmd = [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
           "--workers", "1", "aggregator.wsgi:application"]  # fmt: skip
    log = open(logs / "web.log", "wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            urllib.request.urlopen(base + "/accounts/login/", timeout=1)
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    try:
        wait_until(up, what="web server")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def live_web(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        url = database_url()
    with web_server(tmp_path_factory.mktemp("web"), url) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (.ci/run installs it with apt)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # (fixtures, assertions) are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def log_in(page, base, username):
    page.goto(base + "/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


@contextmanager
def watched_page(browser, *, timeout_ms=10_000, ignore=(), responses=True):
    """A fresh page that fails the test afterwards on any script error, CSP violation (a
    console error) or, with `responses`, failed sub-request; console errors that contain
    one of `ignore` are expected."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    problems = []

    def console(message):
        text = message.text
        if message.type == "error" and not any(part in text for part in ignore):
            problems.append(text)

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    if responses:
        page.on("response", lambda r: r.request.resource_type != "document" and r.status >= 400
                and problems.append(f"{r.status} {r.url}"))  # fmt: skip
    yield page
    context.close()
    assert not problems, problems


@pytest.fixture
def page(browser):
    with watched_page(browser, ignore=("status of 404",)) as page:  # a 404 page is expected
        yield page
