"""One admission path, three protocols: the same refusal through the Sentry endpoint, the
Airbrake endpoint and the UDP listener, each answered in its own protocol's terms."""

import json

import pytest

from events.ingest import admission, ratelimit, udp, udp_stats
from events.wire.refusal import REASONS, Refusal
from tests.support.datagrams import datagram, raven_event
from tests.support.factories import ProjectFactory, ProjectKeyFactory
from tests.support.notices import pybrake_notice
from tests.support.payloads import auth_header, python_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    ratelimit._limiter.cache_clear()
    ratelimit._limiter().storage.reset()
    yield
    ratelimit._limiter().storage.reset()


def sentry(client, project_id, public_key):
    response = client.post(
        f"/api/{project_id}/store/", data=json.dumps(python_error()),
        content_type="application/json", headers={"X-Sentry-Auth": auth_header(public_key)},
    )  # fmt: skip
    return response


def airbrake(client, project_id, public_key):
    return client.post(
        f"/api/v3/projects/{project_id}/notices", data=json.dumps(pybrake_notice()),
        content_type="application/json", headers={"Authorization": f"Bearer {public_key}"},
    )  # fmt: skip


def udp_send(project_id, public_key) -> udp_stats.Stats:
    stats = udp_stats.Stats(None, "test")
    listener = udp.Listener(stats, reject_log=lambda *args: None)  # the real gate and queue
    listener.submit(datagram(public_key, raven_event(project_id)), ("127.0.0.1", 5000))
    batch, _ = listener._take_batch()
    listener.process_batch(batch)
    return stats


@pytest.fixture
def keys():
    project = ProjectFactory()
    return {
        "unknown": (project, "f" * 32),
        "disabled": (project, ProjectKeyFactory(project=project, is_active=False).public_key),
        "limited": (
            project,
            ProjectKeyFactory(project=project, rate_limit_per_minute=1).public_key,
        ),
    }


# (which key, Sentry status, Sentry detail, Airbrake status, Airbrake message, UDP reason)
CASES = [
    ("unknown", 403, "with_reason: ProjectId", 422, "Your API key is unknown", "unknown_key"),
    ("disabled", 403, "with_reason: ProjectId", 403, "Your API key is disabled", "disabled_key"),
]


@pytest.mark.parametrize("which, s_status, s_detail, a_status, a_message, u_reason", CASES)
def test_a_key_refusal_through_all_three_edges(
    client, ingest_queue, keys, which, s_status, s_detail, a_status, a_message, u_reason
):
    project, public_key = keys[which]
    response = sentry(client, project.id, public_key)
    assert response.status_code == s_status and s_detail in response["X-Sentry-Error"]
    response = airbrake(client, project.id, public_key)
    assert response.status_code == a_status and response.json()["message"] == a_message
    stats = udp_send(project.id, public_key)
    assert stats.accepted == 0 and dict(stats.rejected) == {u_reason: 1}
    assert ingest_queue.backlog() == 0


def test_a_rate_limit_through_all_three_edges(client, ingest_queue, keys):
    """The key takes one event a minute: whichever edge brings the second, it is refused
    with a delay the client understands, and nothing past the limit is queued."""
    project, public_key = keys["limited"]
    assert sentry(client, project.id, public_key).status_code == 200

    response = sentry(client, project.id, public_key)
    retry = int(response["Retry-After"])
    assert response.status_code == 429 and 1 <= retry <= 60
    assert response["X-Sentry-Rate-Limits"] == f"{retry}:error;default;security:key:rate_limited"

    response = airbrake(client, project.id, public_key)
    assert response.status_code == 429
    assert 1 <= int(response["X-RateLimit-Delay"]) <= 60 and response.json()["message"]

    stats = udp_send(project.id, public_key)
    assert stats.accepted == 0 and dict(stats.rejected) == {"rate_limited": 1}
    assert ingest_queue.backlog() == 1


def test_the_gate_checks_the_key_before_it_reads_the_body():
    """An unknown or disabled sender costs no decompression: the reader is never called."""
    known = admission.keys.KeyInfo(1, 7, True, None, None)
    disabled = admission.keys.KeyInfo(2, 7, False, None, None)
    table = {"known": known, "disabled": disabled}
    gate = admission.Gate(lookup=table.get, rate_check=lambda key: None, hand_off=None)
    read = []

    def reader(key):
        read.append(key)
        return None

    for public_key, project, reason in [
        ("nobody", None, "unknown_key"), ("disabled", None, "disabled_key"),
        ("known", 8, "wrong_project"), ("known", "not-a-number", "wrong_project"),
    ]:  # fmt: skip
        with pytest.raises(Refusal) as info:
            gate.admit(public_key, project, reader)
        assert info.value.reason == reason and reason in REASONS
    assert read == []
    assert gate.admit("known", 7, reader) is None and read == [known]


def test_limits_and_hand_off_apply_only_to_a_payload():
    """An envelope of sessions (the reader returns None) is neither counted nor queued."""
    calls = []
    gate = admission.Gate(
        lookup=lambda public_key: admission.keys.KeyInfo(1, 7, True, None, None),
        rate_check=lambda key: calls.append("rate") or (30, "project"),
        hand_off=lambda payload: calls.append("hand_off"),
    )
    assert gate.admit("k", 7, lambda key: None) is None and calls == []
    with pytest.raises(Refusal) as info:
        gate.admit("k", 7, lambda key: object())
    refusal = info.value
    assert (refusal.reason, refusal.retry_after, refusal.scope) == ("rate_limited", 30, "project")
    assert calls == ["rate"]


def test_keys_unavailable_is_a_refusal_to_retry():
    def lookup(public_key):
        raise admission.keys.KeysUnavailable

    gate = admission.Gate(lookup=lookup, rate_check=lambda key: None, hand_off=None)
    with pytest.raises(Refusal) as info:
        gate.admit("k", None, lambda key: None)
    assert (info.value.reason, info.value.status, info.value.retry_after) == (
        "keys_unavailable", 503, 30,
    )  # fmt: skip
