""" "Send me a digest now" and `senddigests --now --user`: what is new since the last digest,
at once, and never the same period twice (real SMTP server, frozen time)."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from digests import sending
from digests.models import DigestRecord

from .conftest import NOW, make_issue, utc

pytestmark = pytest.mark.django_db


def now_cmd(*args, at=NOW) -> str:
    out = StringIO()
    with time_machine.travel(at):
        call_command("senddigests", *args, stdout=out)
    return out.getvalue()


def test_now_sends_what_is_new_and_the_schedule_never_sends_it_again(world, smtp_server):
    make_issue(world.backend, "KeyError", utc(2026, 3, 4, 9, 10))
    # 10:30, between boundaries: the scheduled 10:00 digest went out already at 10:02.
    assert "sent: ann" in now_cmd("--user", "ann")
    assert len(smtp_server.messages) == 1
    make_issue(world.backend, "TypeError", utc(2026, 3, 4, 10, 20))
    later = NOW + timedelta(minutes=28)  # 10:30
    out = now_cmd("--now", "--user", "ann", at=later)
    assert out.startswith("sent: ann <ann@example.com>, 2026-03-04 10:00 to 2026-03-04 10:30 UTC")
    assert "TypeError" in smtp_server.messages[-1].get_body(("plain",)).get_content()
    assert "KeyError" not in smtp_server.messages[-1].get_body(("plain",)).get_content()
    # Again at once: nothing new, no mail, no record.
    assert now_cmd("--now", "--user", "ann", at=later).startswith("empty: ann")
    assert len(smtp_server.messages) == 2
    # The 11:00 digest starts where the one sent now ended: TypeError is not in it.
    make_issue(world.backend, "OSError", utc(2026, 3, 4, 10, 40))
    assert "sent: ann" in now_cmd("--user", "ann", at=NOW + timedelta(hours=1))
    text = smtp_server.messages[-1].get_body(("plain",)).get_content()
    assert "OSError" in text and "TypeError" not in text
    ends = list(DigestRecord.objects.filter(user=world.ann).order_by("period_end")
                .values_list("period_start", "period_end"))  # fmt: skip
    assert all(a[1] <= b[0] for a, b in zip(ends, ends[1:], strict=False))  # no overlap


def test_a_first_digest_now_covers_at_most_one_period(world, smtp_server):
    make_issue(world.backend, "Ancient", utc(2026, 3, 1, 9, 0))
    make_issue(world.backend, "Recent", utc(2026, 3, 4, 9, 30))
    with time_machine.travel(NOW):
        result = sending.send_now(world.ann, NOW)
    assert result.status == "sent" and result.issues == 1
    assert result.start == NOW - timedelta(hours=1)  # ann's digests are hourly


def test_now_needs_a_user(world):
    with pytest.raises(CommandError, match="--user"):
        now_cmd("--now")
