"""Check-ins through the real edge, queue and worker: envelopes (as sentry-cli and the SDKs
send them) and the plain HTTP URL; monitor config upserts; hostile check-ins."""

import json

import pytest

from events.models import FailedPayload, Issue
from events.processing import drain
from monitors.models import CheckIn, Monitor
from tests.support.factories import ProjectFactory

from .helpers import checkin_envelope, config, post_envelope, send

pytestmark = pytest.mark.django_db
CID = "e593c058f524419ea02eb3c7a96ebf01"


def test_sentry_cli_pair_makes_a_needs_schedule_monitor_with_one_finished_checkin(
    client, key, ingest_queue
):
    send(client, key, {"check_in_id": CID, "monitor_slug": "my-job", "status": "in_progress",
                       "environment": "production"})  # fmt: skip
    monitor = Monitor.objects.get(project=key.project, slug="my-job")
    assert monitor.schedule_type == "" and monitor.deadline is None  # needs schedule
    (checkin,) = CheckIn.objects.filter(monitor=monitor)
    assert checkin.status == "in_progress" and checkin.timeout_at is not None

    send(client, key, {"check_in_id": CID, "monitor_slug": "my-job", "status": "ok",
                       "environment": "production", "duration": 0.001980337})  # fmt: skip
    (checkin,) = CheckIn.objects.filter(monitor=monitor)
    assert checkin.status == "ok" and checkin.duration == pytest.approx(0.00198, rel=1e-3)
    assert checkin.timeout_at is None and checkin.environment == "production"
    monitor.refresh_from_db()
    assert monitor.last_status == "ok"
    assert not Issue.objects.filter(project=key.project).exists()


def test_monitor_config_creates_and_updates_the_schedule(client, key, ingest_queue):
    send(client, key, {"monitor_slug": "nightly", "status": "in_progress",
                       "monitor_config": config()})  # fmt: skip
    monitor = Monitor.objects.get(slug="nightly")
    assert (monitor.schedule_type, monitor.crontab, monitor.timezone) == (
        "crontab",
        "0 * * * *",
        "Europe/Vienna",
    )
    assert monitor.checkin_margin == 5 and monitor.max_runtime == 30
    assert monitor.next_expected.minute == 0 and monitor.next_expected.second == 0
    send(client, key, {"monitor_slug": "nightly", "status": "ok", "monitor_config": config(
        schedule={"type": "interval", "value": 10, "unit": "minute"}, failure_issue_threshold=3,
        recovery_threshold=2)})  # fmt: skip
    monitor.refresh_from_db()
    assert (monitor.schedule_type, monitor.interval_value, monitor.interval_unit) == (
        "interval",
        10,
        "minute",
    )
    assert monitor.crontab == "" and monitor.failure_threshold == 3
    assert monitor.recovery_threshold == 2
    assert (monitor.next_expected - monitor.last_checkin).total_seconds() == 600


def test_error_checkin_opens_one_issue_per_monitor(client, key, ingest_queue):
    for _ in range(2):
        send(client, key, {"monitor_slug": "backup", "status": "error"})
    send(client, key, {"monitor_slug": "other", "status": "error"})
    issues = Issue.objects.filter(project=key.project).order_by("id")
    assert [i.title for i in issues] == [
        "Monitor failure: backup: check-in reported an error",
        "Monitor failure: other: check-in reported an error",
    ]
    assert issues[0].times_seen == 2
    assert Monitor.objects.get(slug="backup").issue_id == issues[0].id


def test_event_and_checkin_in_one_envelope_both_land(client, key, ingest_queue):
    from tests.support.payloads import envelope, python_error

    body = envelope(
        python_error(),
        [({"type": "check_in"}, json.dumps({"monitor_slug": "mixed", "status": "ok"}).encode())],
    )
    assert post_envelope(client, key, body).status_code == 200
    drain.process_batch()
    assert Monitor.objects.filter(slug="mixed").exists()
    assert Issue.objects.filter(project=key.project, title__startswith="ValueError").exists()


HOSTILE = [
    ("bad slug", {"monitor_slug": "../etc/passwd", "status": "ok"}, "monitor_slug"),
    ("upper-case slug", {"monitor_slug": "Nightly", "status": "ok"}, "monitor_slug"),
    ("long slug", {"monitor_slug": "a" * 51, "status": "ok"}, "monitor_slug"),
    ("no slug", {"status": "ok"}, "monitor_slug"),
    ("unknown status", {"monitor_slug": "j", "status": "exploded"}, "status"),
    ("negative duration", {"monitor_slug": "j", "status": "ok", "duration": -1}, "duration"),
    ("string duration", {"monitor_slug": "j", "status": "ok", "duration": "1s"}, "duration"),
    ("bad check-in id", {"monitor_slug": "j", "status": "ok", "check_in_id": "x"}, "check_in_id"),
    ("invalid crontab", {"monitor_slug": "j", "status": "ok",
                         "monitor_config": config(schedule={"type": "crontab",
                                                            "value": "61 * * * *"})}, "crontab"),
    ("six-field crontab", {"monitor_slug": "j", "status": "ok",
                           "monitor_config": config(schedule={"type": "crontab",
                                                              "value": "* * * * * *"})}, "crontab"),
    ("unknown timezone", {"monitor_slug": "j", "status": "ok",
                          "monitor_config": config(timezone="Mars/Olympus")}, "timezone"),
    ("path timezone", {"monitor_slug": "j", "status": "ok",
                       "monitor_config": config(timezone="../../etc/passwd")}, "timezone"),
    ("absurd margin", {"monitor_slug": "j", "status": "ok",
                       "monitor_config": config(checkin_margin=10**9)}, "checkin_margin"),
    ("zero threshold", {"monitor_slug": "j", "status": "ok",
                        "monitor_config": config(failure_issue_threshold=0)}, "failure"),
    ("bad interval unit", {"monitor_slug": "j", "status": "ok", "monitor_config": config(
        schedule={"type": "interval", "value": 1, "unit": "fortnight"})}, "unit"),
    ("huge interval", {"monitor_slug": "j", "status": "ok", "monitor_config": config(
        schedule={"type": "interval", "value": 10**12, "unit": "minute"})}, "interval"),
    ("huge config", {"monitor_slug": "j", "status": "ok", "monitor_config": config(
        schedule={"type": "crontab", "value": "* " * 50000})}, "crontab"),
    ("config not an object", {"monitor_slug": "j", "status": "ok", "monitor_config": [1]},
     "monitor_config"),
    ("not an object", [1, 2], "object"),
]  # fmt: skip


@pytest.mark.parametrize("name, checkin, word", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_checkins_are_refused_with_a_reason_and_change_nothing(
    client, key, ingest_queue, name, checkin, word
):
    response = post_envelope(client, key, checkin_envelope(checkin))
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("invalid check-in") and word in detail
    assert ingest_queue.backlog() == 0
    assert not Monitor.objects.exists() and not CheckIn.objects.exists()


def test_checkin_item_over_the_size_cap_is_refused(client, key, ingest_queue):
    body = checkin_envelope({"monitor_slug": "j", "status": "ok", "pad": "x" * 2_000_000})
    assert post_envelope(client, key, body).status_code == 413
    assert ingest_queue.backlog() == 0


def test_old_queued_bad_checkin_is_kept_as_failed_payload(key, ingest_queue):
    """A payload queued before the edge checked check-ins is kept, never dropped silently."""
    import time

    from events.queue import QueuedPayload

    body = checkin_envelope({"monitor_slug": "BAD SLUG", "status": "ok"})
    ingest_queue.push(QueuedPayload(key.project_id, "a" * 32, time.time(), "envelope", "", body))
    drain.process_batch()
    (failed,) = FailedPayload.objects.all()
    assert "monitor_slug" in failed.reason
    assert not Monitor.objects.exists()


# --- The plain HTTP URL (curl)


def cron_url(key, slug="curl-job", project_id=None):
    return (
        f"/api/{key.project_id if project_id is None else project_id}/cron/{slug}/{key.public_key}/"
    )


def test_http_checkins_get_and_post(client, key, ingest_queue):
    response = client.get(cron_url(key) + "?status=in_progress")
    assert response.status_code == 202 and response["Content-Type"] == "application/json"
    cid = response.json()["id"]
    drain.process_batch()
    response = client.get(cron_url(key) + f"?status=ok&check_in_id={cid}&duration=1500")
    assert response.status_code == 202
    drain.process_batch()
    (checkin,) = CheckIn.objects.filter(monitor__slug="curl-job")
    assert checkin.status == "ok" and checkin.duration == 1.5
    body = json.dumps({"status": "error", "monitor_config": config()})
    response = client.post(cron_url(key, "posted"), body, content_type="application/json")
    assert response.status_code == 202
    drain.process_batch()
    monitor = Monitor.objects.get(slug="posted")
    assert monitor.crontab == "0 * * * *" and monitor.last_status == "error"
    assert Issue.objects.filter(project=key.project).count() == 1


def test_http_checkin_with_project_zero_uses_the_keys_project(client, key, ingest_queue):
    assert client.get(cron_url(key, project_id=0) + "?status=ok").status_code == 202
    drain.process_batch()
    assert Monitor.objects.get(slug="curl-job").project_id == key.project_id


HTTP_HOSTILE = [
    ("unknown key", lambda k: f"/api/{k.project_id}/cron/j/{'0' * 32}/?status=ok", 403),
    ("another project's id", lambda k: f"/api/{ProjectFactory().id}/cron/j/{k.public_key}/?status=ok",
     403),
    ("bad project id", lambda k: f"/api/abc/cron/j/{k.public_key}/?status=ok", 400),
    ("bad slug", lambda k: f"/api/{k.project_id}/cron/Bad%20Slug/{k.public_key}/?status=ok", 400),
    ("no status", lambda k: f"/api/{k.project_id}/cron/j/{k.public_key}/", 400),
    ("bad status", lambda k: f"/api/{k.project_id}/cron/j/{k.public_key}/?status=done", 400),
    ("bad duration", lambda k: f"/api/{k.project_id}/cron/j/{k.public_key}/?status=ok&duration=x",
     400),
]  # fmt: skip


@pytest.mark.parametrize("name, url, status", HTTP_HOSTILE, ids=[h[0] for h in HTTP_HOSTILE])
def test_hostile_http_checkins(client, key, ingest_queue, name, url, status):
    response = client.get(url(key))
    assert response.status_code == status
    assert response.json()["detail"]
    assert ingest_queue.backlog() == 0 and not Monitor.objects.exists()


def test_http_checkin_disabled_key_and_bad_body(client, key, ingest_queue):
    response = client.post(cron_url(key), b"[1]", content_type="application/json")
    assert response.status_code == 400 and "object" in response.json()["detail"]
    response = client.post(cron_url(key), b"{nope", content_type="application/json")
    assert response.status_code == 400
    response = client.put(cron_url(key) + "?status=ok")
    assert response.status_code == 405
    key.is_active = False
    key.save()
    from events.ingest import keys

    keys.clear()
    assert client.get(cron_url(key) + "?status=ok").status_code == 403
    assert ingest_queue.backlog() == 0


def test_http_closing_checkin_without_id_finishes_the_latest_run(client, key, ingest_queue):
    assert client.get(cron_url(key) + "?status=in_progress").status_code == 202
    drain.process_batch()
    assert client.get(cron_url(key) + "?status=error").status_code == 202
    drain.process_batch()
    (checkin,) = CheckIn.objects.filter(monitor__slug="curl-job")
    assert checkin.status == "error" and checkin.timeout_at is None
    assert checkin.duration is not None
    # With nothing in progress, a closing check-in is a check-in of its own.
    assert client.get(cron_url(key) + "?status=ok").status_code == 202
    drain.process_batch()
    assert CheckIn.objects.filter(monitor__slug="curl-job").count() == 2


def test_bad_checkin_beside_an_event_keeps_the_event(client, key, ingest_queue):
    """Refusing the envelope would lose the event: the check-in is kept as a FailedPayload."""
    from tests.support.payloads import envelope, python_error

    body = envelope(
        python_error(),
        [({"type": "check_in"}, json.dumps({"monitor_slug": "BAD", "status": "ok"}).encode())],
    )
    assert post_envelope(client, key, body).status_code == 200
    drain.process_batch()
    assert Issue.objects.filter(project=key.project).count() == 1
    assert "monitor_slug" in FailedPayload.objects.get().reason
    assert not Monitor.objects.exists()


def test_a_handler_bug_keeps_only_the_failing_item(client, key, ingest_queue, monkeypatch):
    """One check-in that trips a bug is kept as a FailedPayload; the others are applied."""
    from monitors import checkins

    real = checkins.apply

    def buggy(project_id, data, now=None):
        if data.slug == "boom":
            raise RuntimeError("bug")
        return real(project_id, data, now)

    monkeypatch.setattr(checkins, "apply", buggy)
    body = checkin_envelope({"monitor_slug": "fine", "status": "ok"},
                            {"monitor_slug": "boom", "status": "ok"})  # fmt: skip
    assert post_envelope(client, key, body).status_code == 200
    drain.process_batch()
    assert list(Monitor.objects.values_list("slug", flat=True)) == ["fine"]
    assert "RuntimeError: bug" in FailedPayload.objects.get().reason
