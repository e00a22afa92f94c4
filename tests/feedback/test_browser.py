"""@sentry/browser (bundled by esbuild) in the system Chromium, on a page of another origin:
the crash-report dialog (`showReportDialog`) and the feedback widget (`feedbackIntegration`),
both filled in and sent by Playwright; the feedback lands on the error's issue."""

import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from events.models import Issue
from events.processing import drain
from feedback.models import Feedback
from tests.support.browser import watched_page
from tests.support.extra_packages import ESBUILD, SENTRY_BROWSER, require
from tests.support.factories import ProjectFactory
from tests.support.stack import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.one_pass]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>shop</title><link rel="icon" href="data:,"></head>
<body><h1>Shop</h1><script src="sentry.js"></script><script>
Sentry.init({ dsn: %(dsn)r, release: "shop@1.0", integrations: [%(integrations)s] });
window.sentEventId = Sentry.captureException(new Error("Checkout failed"));
</script></body></html>"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """sentry.js: the SDK as an IIFE exposing `Sentry`, the way a site's bundler would."""
    root = require(SENTRY_BROWSER)
    site = tmp_path_factory.mktemp("site")
    subprocess.run(  # the entry on stdin resolves @sentry/browser from the cwd's node_modules
        [str(require(ESBUILD) / "node_modules" / ".bin" / "esbuild"), "--bundle", "--format=iife",
         f"--outfile={site / 'sentry.js'}", "--log-level=warning"],
        input='import * as Sentry from "@sentry/browser"; window.Sentry = Sentry;\n',
        text=True, check=True, timeout=120, cwd=root,
    )  # fmt: skip
    return site


@pytest.fixture
def shop(bundle):
    """A static site on its own origin (another port): the page is cross-origin to the app."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(bundle)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield bundle, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _open(shop, live_web, browser, name, integrations=""):
    site, origin = shop
    project = ProjectFactory()
    dsn = project.keys.get().dsn(live_web)
    (site / f"{name}.html").write_text(PAGE % {"dsn": dsn, "integrations": integrations})
    return project, f"{origin}/{name}.html"


def _drain_until(predicate, what):
    def step():
        drain.process_batch()
        return predicate()

    wait_until(step, timeout=30, what=what)


def test_crash_report_dialog(live_web, browser, shop):
    project, url = _open(shop, live_web, browser, "dialog")
    with watched_page(browser) as page:
        page.goto(url)
        event_id = page.wait_for_function("window.sentEventId").json_value()
        _drain_until(lambda: Issue.objects.filter(project=project).exists(), "the error's issue")
        page.evaluate(
            """id => { window.dialogClosed = false;
            Sentry.showReportDialog({ eventId: id, user: { name: "Jane", email: "jane@example.com" },
                                      onClose: () => { window.dialogClosed = true; } }); }""",
            event_id,
        )
        page.wait_for_selector(".sentry-error-embed")
        assert page.input_value("#sentry-error-embed-name") == "Jane"
        assert page.input_value("#sentry-error-embed-email") == "jane@example.com"
        page.fill("#sentry-error-embed-comments", "I clicked <b>pay</b> and it broke")
        page.click(".sentry-error-embed-submit")
        page.wait_for_selector(".sentry-error-embed-success")
        page.click(".sentry-error-embed button")
        page.wait_for_function("window.dialogClosed === true")
    _drain_until(lambda: Feedback.objects.filter(project=project).exists(), "the dialog's feedback")
    row = Feedback.objects.get(project=project)
    assert (row.source, row.name, row.email) == ("dialog", "Jane", "jane@example.com")
    assert row.message == "I clicked <b>pay</b> and it broke"
    assert row.issue_id == Issue.objects.get(project=project).pk


def test_feedback_widget(live_web, browser, shop):
    project, url = _open(shop, live_web, browser, "widget",
                         'Sentry.feedbackIntegration({ colorScheme: "light" })')  # fmt: skip
    with watched_page(browser) as page:
        page.goto(url)
        page.wait_for_function("window.sentEventId")
        page.get_by_role("button", name="Report a Bug").click()
        page.fill("[name=name]", "Max")
        page.fill("[name=email]", "max@example.com")
        page.fill("[name=message]", "The coupon field ignores my code")
        page.get_by_role("button", name="Send Bug Report").click()
        page.get_by_text("Thank you for your report!").wait_for()
    _drain_until(lambda: Feedback.objects.filter(project=project).exists(), "the widget's feedback")
    row = Feedback.objects.get(project=project)
    assert (row.source, row.name, row.email) == ("feedback", "Max", "max@example.com")
    assert row.message == "The coupon field ignores my code"
    assert row.url.endswith("/widget.html")
