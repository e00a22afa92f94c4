"""The admin lists monitors, check-ins and feedback (a superuser's view of all projects)."""

import pytest
from django.contrib.auth import get_user_model

from .helpers import send

pytestmark = pytest.mark.django_db


def test_admin_changelists(client, key, ingest_queue):
    send(client, key, {"monitor_slug": "nightly", "status": "ok"})
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    for path in ("/admin/monitors/monitor/", "/admin/monitors/checkin/",
                 "/admin/feedback/feedback/"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
    assert b"nightly" in client.get("/admin/monitors/monitor/").content
