"""The rule editor's "Send test notification" buttons in system Chromium against the real web
server: a marked test email (the file mail backend of the test server) and a marked webhook
POST to a local receiver, through the real delivery code, shown on the page, saving nothing."""

import os
import threading
from http.server import ThreadingHTTPServer

import pytest
from django.conf import settings

from alerts.models import Delivery, NotificationRule
from projects.models import Membership
from tests.support.browser import log_in
from tests.support.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.support.payloads import python_error
from tests.support.webhooks import Receiver, _handler
from tests.support.world import store

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]


@pytest.fixture(scope="module", autouse=True)
def _private_webhooks_allowed():
    # Read by the module's web server when it starts: the receiver is on loopback.
    os.environ["ALERTS_WEBHOOK_ALLOW_PRIVATE"] = "1"
    yield
    os.environ.pop("ALERTS_WEBHOOK_ALLOW_PRIVATE", None)


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.2: the test server (127.0.0.1) refuses its own host."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.2", 0), _handler(receiver))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.url = f"http://127.0.0.2:{server.server_address[1]}/hooks/abc"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def mail_files() -> set:
    folder = settings.DATA_DIR / "mail"
    return set(folder.iterdir()) if folder.exists() else set()


def test_each_action_sends_a_marked_test(
    live_web,
    page,
    transactional_db,
    ingest_queue,
    receiver,
):
    owner = MembershipFactory(user=UserFactory(username="olga"), role=Membership.Role.OWNER)
    MembershipFactory(user=UserFactory(username="pete"), organization=owner.organization)
    project = ProjectFactory(organization=owner.organization, name="Shop", slug="shop")
    store(project, python_error(type_="KeyError", value="basket"))
    deliveries = Delivery.objects.count()
    log_in(page, live_web, "olga")
    page.goto(f"{live_web}/orgs/{owner.organization.slug}/projects/shop/rules/new/")

    # One control for the recipients: the member list shows only for "chosen members".
    members = page.locator("[data-show-for='email_to:chosen']")
    assert not members.is_visible()
    page.check("input[name=email_to][value=chosen]")
    assert members.is_visible()
    page.check("label:has-text('pete') input")
    page.fill("#id_name", "Ops")
    before = mail_files()
    page.click("#test-email")
    result = page.locator("#test-email-result")
    assert result.inner_text() == "Test email sent to pete@example.com."
    assert "ok" in result.get_attribute("class")
    (new,) = mail_files() - before
    mail = new.read_text()
    assert "To: pete@example.com" in mail
    assert "Subject: [TEST] [SHOP-1] KeyError: basket" in mail and "test notification" in mail
    assert page.input_value("#id_name") == "Ops"  # what was entered stays

    page.fill("#id_webhook_url", receiver.url)
    page.click("#test-webhook")
    assert page.locator("#test-webhook-result").inner_text().startswith("Test POST answered 200")
    (request,) = receiver.requests
    assert request["json"]["test"] is True and request["json"]["text"].startswith("[TEST] ")

    receiver.answer(500)
    page.click("#test-webhook")
    failed = page.locator("#test-webhook-result")
    assert "HTTP 500" in failed.inner_text() and "error" in failed.get_attribute("class")
    assert not NotificationRule.objects.filter(name="Ops").exists()  # tests save nothing
    assert Delivery.objects.count() == deliveries  # and are recorded nowhere
