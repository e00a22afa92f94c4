"""The monitor pages in system Chromium against the real server (no CSP violation, no script
error: the `page` fixture fails on either): list, monitor page with its timeline, mute, and
the editor. Screenshot: artifacts/monitor_page.png."""

import pytest

from monitors.models import Monitor
from tests.support.browser import ARTIFACTS, log_in
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)

from .helpers import config, send

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]


def test_monitor_pages(live_web, page, transactional_db, ingest_queue, client):
    org = OrganizationFactory(name="Acme", slug="acme")
    MembershipFactory(user=UserFactory(username="alice"), organization=org, role="owner")
    project = ProjectFactory(organization=org, name="Shop", slug="shop")
    key = project.keys.get()
    for n, status in enumerate(["ok", "ok", "error", "ok"]):
        cid = f"{n:032x}"
        send(client, key, {"monitor_slug": "nightly-backup", "status": "in_progress",
                           "check_in_id": cid, "monitor_config": config()})  # fmt: skip
        send(client, key, {"monitor_slug": "nightly-backup", "status": status, "check_in_id": cid,
                           "duration": 2.0 + n})  # fmt: skip

    log_in(page, live_web, "alice")
    page.goto(f"{live_web}/orgs/acme/projects/shop/")
    page.click("text=Monitors")
    page.click("text=nightly-backup")
    page.wait_for_selector("svg.timeline")
    assert page.locator("svg.timeline rect").count() == 4
    assert page.locator("svg.timeline rect.checkin-error").count() == 1
    page.screenshot(path=str(ARTIFACTS / "monitor_page.png"), full_page=True)
    page.click("button:has-text('Mute')")
    page.wait_for_selector("text=Monitor muted.")
    assert Monitor.objects.get(slug="nightly-backup").muted
    page.click("text=Edit")
    page.fill("#id_checkin_margin", "15")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Monitor saved.")
    assert Monitor.objects.get(slug="nightly-backup").checkin_margin == 15
