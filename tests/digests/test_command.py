"""`manage.py senddigests [--user] [--dry-run]`, against the real SMTP server."""

from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from digests.models import DigestRecord
from tests.support.factories import UserFactory

from .conftest import NOW, make_issue, utc

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    with time_machine.travel(NOW):
        call_command("senddigests", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def issues(world):
    make_issue(world.backend, "KeyError", utc(2026, 3, 4, 9, 10), times_seen=3)
    make_issue(world.billing, "CardDeclined", utc(2026, 3, 4, 9, 20))
    return world


def test_dry_run_prints_and_sends_nothing(issues, smtp_server):
    out = run("--dry-run")
    assert "would send: ann <ann@example.com>, 2026-03-04 09:00 to 2026-03-04 10:00 UTC" in out
    assert "[Aggregator] 1 new issue in backend" in out
    assert "would send: bob" in out and "would send: cat" in out
    assert smtp_server.messages == [] and not DigestRecord.objects.exists()


def test_one_user(issues, smtp_server):
    out = run("--user", "bob")
    assert out.startswith("sent: bob <bob@example.com>")
    assert [to for _, to in smtp_server.envelopes] == [["bob@example.com"]]
    assert run("--user", "bob") == "no digests due\n"  # exactly once
    assert "sent: ann" in run() and len(smtp_server.messages) == 3


def test_unknown_user(world):
    with pytest.raises(CommandError, match="no user"):
        run("--user", "nobody")


def test_operators_see_failed_sends_in_the_admin(issues, smtp_server, settings, client):
    from tests.support.mailserver import _free_port

    settings.EMAIL_PORT = _free_port()
    run()
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/digests/digestrecord/?sent_at__isempty=1").content.decode()
    assert page.count("ConnectionRefusedError") == 3
