"""The monitors' dashboard pages: list, monitor page (timeline, snippets with the DSN),
edit (admins), mute (members); strangers get 404; check-in content is escaped."""

from datetime import UTC, datetime

import pytest
import time_machine

from monitors.models import Monitor
from projects.models import Membership
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)

from .helpers import config, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client, ingest_queue):
    org = OrganizationFactory(slug="acme")
    admin = UserFactory(username="ada")
    member = UserFactory(username="bob")
    MembershipFactory(user=admin, organization=org, role=Membership.Role.ADMIN)
    MembershipFactory(user=member, organization=org, role=Membership.Role.MEMBER)
    project = ProjectFactory(organization=org, slug="web")
    key = project.keys.get()
    send(client, key, {"monitor_slug": "nightly", "status": "in_progress", "check_in_id": "d" * 32,
                       "environment": "<b>prod</b>", "monitor_config": config()})  # fmt: skip
    send(client, key, {"monitor_slug": "nightly", "status": "ok", "check_in_id": "d" * 32,
                       "duration": 12.5})  # fmt: skip
    send(client, key, {"monitor_slug": "nightly", "status": "error"})
    send(client, key, {"monitor_slug": "loose", "status": "ok"})
    return {"admin": admin, "member": member, "project": project, "key": key}


def test_list_and_detail_pages(client, world):
    client.force_login(world["member"])
    page = client.get("/orgs/acme/projects/web/monitors/").content.decode()
    assert "nightly" in page and "loose" in page and "needs schedule" in page
    assert "crontab 0 * * * * (Europe/Vienna)" in page
    detail = client.get("/orgs/acme/projects/web/monitors/nightly/").content.decode()
    assert detail.count('<rect class="checkin-') == 2
    assert 'class="checkin-ok"' in detail and 'class="checkin-error"' in detail
    assert "12.500 s" in detail
    assert "&lt;b&gt;prod&lt;/b&gt;" in detail and "<b>prod</b>" not in detail
    key = world["key"]
    assert f"/api/{world['project'].pk}/cron/nightly/{key.public_key}/?status=in_progress" in detail
    assert key.dsn() in detail
    assert "its issue" in detail
    assert "Edit</a>" not in detail  # members do not edit


def test_member_mutes_and_admin_edits(client, world):
    client.force_login(world["member"])
    response = client.post("/orgs/acme/projects/web/monitors/nightly/mute/", {"muted": "1"})
    assert response.status_code == 302 and Monitor.objects.get(slug="nightly").muted
    assert (
        client.get("/orgs/acme/projects/web/monitors/nightly/edit/").status_code == 403
    )  # a member sees it but may not edit
    client.force_login(world["admin"])
    form = {"name": "Nightly backup", "schedule_type": "interval", "interval_value": "2",
            "interval_unit": "hour", "timezone": "UTC", "checkin_margin": "10", "max_runtime": "60",
            "failure_threshold": "2", "recovery_threshold": "1"}  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        response = client.post("/orgs/acme/projects/web/monitors/nightly/edit/", form)
    assert response.status_code == 302
    monitor = Monitor.objects.get(slug="nightly")
    assert (monitor.name, monitor.interval_value, monitor.interval_unit) == (
        "Nightly backup",
        2,
        "hour",
    )
    assert monitor.crontab == "" and not monitor.muted  # the form's unchecked box unmutes
    assert (monitor.deadline - monitor.next_expected).total_seconds() == 600


@pytest.mark.parametrize(
    "change, word",
    [({"schedule_type": "crontab", "crontab": "99 * * * *"}, "invalid crontab"),
     ({"timezone": "Nowhere/City"}, "unknown timezone"),
     ({"schedule_type": "interval", "interval_value": "5", "interval_unit": ""}, "unit")],
)  # fmt: skip
def test_edit_refuses_bad_config(client, world, change, word):
    client.force_login(world["admin"])
    form = {"name": "n", "schedule_type": "crontab", "crontab": "0 * * * *", "timezone": "UTC",
            "checkin_margin": "1", "max_runtime": "30", "failure_threshold": "1",
            "recovery_threshold": "1", **change}  # fmt: skip
    response = client.post("/orgs/acme/projects/web/monitors/nightly/edit/", form)
    assert response.status_code == 200 and word in response.content.decode()
    assert Monitor.objects.get(slug="nightly").crontab == "0 * * * *"


def test_strangers_get_404(client, world):
    stranger = UserFactory(username="eve")
    MembershipFactory(user=stranger, organization=OrganizationFactory(slug="other"))
    client.force_login(stranger)
    for url in ("/orgs/acme/projects/web/monitors/", "/orgs/acme/projects/web/monitors/nightly/",
                "/orgs/acme/projects/web/monitors/nightly/edit/"):  # fmt: skip
        assert client.get(url).status_code == 404
    assert (
        client.post("/orgs/acme/projects/web/monitors/nightly/mute/", {"muted": "1"}).status_code
        == 404
    )
    assert not Monitor.objects.get(slug="nightly").muted
