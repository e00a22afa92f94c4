"""The real listener process: hostile datagrams are counted by reason, it stays up, and
valid ones reach the ingest queue. `manage.py udpstats` shows the counters."""

import base64
import json
import os
import random
import signal
import zlib

import pytest
from django.conf import settings
from django.core.management import call_command

from events.queue import get_queue
from tests.support.datagrams import datagram, header, raven_event
from tests.support.factories import ProjectFactory, ProjectKeyFactory
from tests.support.stack import database_url
from tests.support.udp_server import udp_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def server_env(transactional_db, ingest_queue):
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "INGEST_QUEUE_URL": settings.INGEST_QUEUE_URL,
        "DATA_DIR": str(settings.DATA_DIR),
        "INGEST_AUTO_DRAIN": "false",
    }


def test_listener_counts_hostile_datagrams_and_stays_up(server_env, tmp_path, capsys):
    project = ProjectFactory()
    key = project.keys.get()
    other = ProjectFactory().keys.get()
    pk = key.public_key
    bomb = base64.b64encode(zlib.compress(b"{" + b" " * (5 * 1024 * 1024) + b"}", 9))
    hostile = {
        "too_large": [header(pk) + b"\n\n" + bomb, header(pk) + b"\n\n{" + b" " * 65_000 + b"}"],
        "bad_payload": [datagram(pk, raven_event(project.id), "zlib")[:-30], bytes(range(200))[20:].join([header(pk) + b"\n\n", b""])],
        "missing_auth": [random.Random(7).randbytes(1000).replace(b"\n", b"x"), b"", json.dumps(raven_event(project.id)).encode()],
        "bad_auth": [b"Sentry sentry_key=" + pk.encode() + b", sentry_version=99\n\n{}"],
        "unknown_key": [datagram("0" * 32, raven_event(project.id))],
        "wrong_project": [datagram(other.public_key, raven_event(project.id)), datagram(pk, raven_event(123_456_789))],
        "bad_json": [header(pk) + b"\n\n{nope"],
    }  # fmt: skip
    valid = [datagram(pk, raven_event(project.id), enc) for enc in ("base64", "zlib", "json")]
    with udp_server(server_env, tmp_path, "--max-datagram", "60000") as server:
        for datagrams in hostile.values():
            server.send(*datagrams)
        server.send(*valid)
        total = sum(map(len, hostile.values())) + len(valid)
        stats = server.wait_for(lambda s: s["received"] == total and s["pending"] == 0)
        assert stats["rejected"] == {reason: len(d) for reason, d in hostile.items()}
        assert stats["accepted"] == 3
        assert stats["socket_drops"] == 0 and stats["rcvbuf"] >= 8 * 1024 * 1024
        assert server.proc.poll() is None

        server.send(datagram(pk, raven_event(project.id)))  # still serving
        server.wait_for(lambda s: s["accepted"] == 4)
        messages = get_queue().read(10, 60)
        assert {m.payload.project_id for m in messages} == {project.id} and len(messages) == 4
        get_queue().ack([m.id for m in messages])

        limited = ProjectKeyFactory(project=project, rate_limit_per_minute=2)
        server.send(*[datagram(limited.public_key, raven_event(project.id)) for _ in range(5)])
        stats = server.wait_for(lambda s: s["accepted"] == 6 and s["pending"] == 0)
        assert stats["rejected"]["rate_limited"] == 3
        assert all(m.payload.kind == "store" for m in messages)

        call_command("udpstats", stats_file=server.stats_file)
        text = capsys.readouterr().out
        assert "accepted" in text and "wrong_project" in text and "too_large" in text
        assert "unknown key" not in text  # reasons are shown with their explanation
        log = server.log_file.read_text()
        assert "rejected datagram" in log and "wrong_project" in log

        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=15) == 0
    assert json.loads(server.stats_file.read_text())["accepted"] == 6
