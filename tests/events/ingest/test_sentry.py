"""The HTTP edge: every hostile body gets its exact status, valid ones are queued."""

import base64
import json
import zlib
from functools import cache

import brotli
import pytest

from events.queue import QueuedPayload
from tests.support.factories import ProjectFactory, ProjectKeyFactory
from tests.support.payloads import auth_header, captured_envelope, envelope, gz, python_error

pytestmark = pytest.mark.django_db


def post(
    client,
    path,
    body,
    key=None,
    encoding=None,
    content_type="application/x-sentry-envelope",
    **headers,
):
    if key is not None:
        headers.setdefault("X-Sentry-Auth", auth_header(key))
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    return client.generic("POST", path, data=body, content_type=content_type, headers=headers)


@cache
def gzip_bomb() -> bytes:
    """About 200 MB of zeros in ~200 KB of gzip."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(10 * 1024 * 1024)
    return b"".join(comp.compress(chunk) for _ in range(20)) + comp.flush()


@cache
def brotli_bomb() -> bytes:
    comp = brotli.Compressor(quality=1)
    chunk = bytes(10 * 1024 * 1024)
    return b"".join(comp.process(chunk) for _ in range(20)) + comp.finish()


def ok_event() -> bytes:
    return json.dumps(python_error()).encode()


# (name, path, body builder, kwargs for post(), expected status)
HOSTILE = [
    ("valid envelope", "envelope", lambda: envelope(python_error()), {}, 200),
    ("valid store", "store", ok_event, {}, 200),
    ("valid gzip envelope", "envelope", lambda: gz(envelope(python_error())), {"encoding": "gzip"}, 200),
    ("valid brotli envelope", "envelope", lambda: brotli.compress(envelope(python_error())),
     {"encoding": "br"}, 200),
    ("raven 6 zlib labelled deflate", "store", lambda: zlib.compress(ok_event()), {"encoding": "deflate"}, 200),
    ("old raven base64+zlib, no encoding", "store", lambda: base64.b64encode(zlib.compress(ok_event())), {}, 200),
    ("bogus Content-Encoding UTF-8", "store", ok_event, {"encoding": "UTF-8"}, 200),
    ("empty Content-Encoding", "store", ok_event, {"encoding": ""}, 200),
    ("text/plain content type", "envelope", lambda: envelope(python_error()), {"content_type": "text/plain"}, 200),
    ("session-only envelope", "envelope",
     lambda: b'{}\n{"type":"session"}\n{"sid":"x","status":"ok"}\n', {}, 200),
    ("envelope with attachment and unknown items", "envelope",
     lambda: envelope(python_error(), [({"type": "attachment", "filename": "a.txt"}, b"hi"),
                                       ({"type": "profile_chunk"}, b"{}")]), {}, 200),
    ("missing auth", "store", ok_event, {"key": None}, 401),
    ("malformed auth header", "store", ok_event, {"X-Sentry-Auth": "Bearer nope"}, 401),
    ("unknown key", "store", ok_event, {"key": "0" * 32}, 403),
    ("unsupported protocol version", "store", ok_event,
     {"X-Sentry-Auth": "Sentry sentry_key=k, sentry_version=8"}, 400),
    ("malformed JSON", "store", lambda: b'{"event_id": ', {}, 400),
    ("JSON array instead of object", "store", lambda: b"[1, 2, 3]", {}, 400),
    ("empty store body", "store", lambda: b"", {}, 400),
    ("empty envelope body", "envelope", lambda: b"", {}, 400),
    ("random bytes", "store", lambda: bytes(range(256)) * 4, {}, 400),
    ("invalid UTF-8 in JSON", "store", lambda: b'{"message": "\xff\xfe\xfa"}', {}, 400),
    ("JSON nested 10,000 deep", "store", lambda: b"[" * 10_000 + b"]" * 10_000, {}, 400),
    ("JSON object nested 10,000 deep", "store", lambda: b'{"a":' * 10_000 + b"1" + b"}" * 10_000, {}, 400),
    ("truncated gzip", "store", lambda: gz(ok_event())[:-12], {"encoding": "gzip"}, 400),
    ("gzip header on a plain body", "store", ok_event, {"encoding": "gzip"}, 400),
    ("gzip bomb", "envelope", gzip_bomb, {"encoding": "gzip"}, 413),
    ("brotli bomb", "envelope", brotli_bomb, {"encoding": "br"}, 413),
    ("50 MB body", "store", lambda: b"x" * (50 * 1024 * 1024), {}, 413),
    ("event item over 1 MiB", "envelope",
     lambda: envelope(python_error(extra={"blob": "x" * (1024 * 1024 + 10)})), {}, 413),
    ("envelope length past end of file", "envelope",
     lambda: b'{}\n{"type":"event","length":500}\n{"a":1}\n', {}, 400),
    ("envelope length too short", "envelope", lambda: b'{}\n{"type":"event","length":3}\n{"a":1}\n', {}, 400),
    ("envelope header not JSON", "envelope", lambda: b"hello\n{}\n", {}, 400),
    ("envelope item header not an object", "envelope", lambda: b'{}\n[1]\n{}\n', {}, 400),
    ("envelope with 1000 items", "envelope",
     lambda: b"{}\n" + b'{"type":"session"}\n{}\n' * 1000, {}, 413),
    ("event item not an object", "envelope", lambda: b'{}\n{"type":"event"}\n"just a string"\n', {}, 400),
    ("event item malformed JSON", "envelope", lambda: b'{}\n{"type":"event"}\n{"level": err\n', {}, 400),
]  # fmt: skip


@pytest.mark.parametrize(
    "name, endpoint, build, kwargs, status", HOSTILE, ids=[row[0] for row in HOSTILE]
)
def test_hostile_input_table(
    client, ingest_queue, project, key, name, endpoint, build, kwargs, status
):
    kwargs = dict(kwargs)
    given_key = kwargs.pop("key", key.public_key)
    response = post(client, f"/api/{project.id}/{endpoint}/", build(), key=given_key, **kwargs)
    assert response.status_code == status, response.content
    body = response.json()
    if status >= 400:
        assert body["detail"] and response["X-Sentry-Error"] == body["detail"]
        assert ingest_queue.backlog() == 0
    assert len(HOSTILE) >= 25


def test_valid_envelope_is_queued_raw_with_its_event_id(client, ingest_queue, project, key):
    event = python_error()
    body = gz(envelope(event))
    response = post(
        client, f"/api/{project.id}/envelope/", body, key=key.public_key, encoding="gzip"
    )
    assert response.status_code == 200
    assert response.json() == {"id": event["event_id"]}
    [message] = ingest_queue.read(10, 60)
    payload: QueuedPayload = message.payload
    assert (payload.project_id, payload.event_id, payload.kind) == (
        project.id,
        event["event_id"],
        "envelope",
    )
    assert payload.body == body and payload.content_encoding == "gzip"


def test_captured_sentry_python_envelope_is_accepted(client, ingest_queue, project, key):
    capture, raw = captured_envelope()
    response = post(client, f"/api/{project.id}/envelope/", brotli.compress(raw),
                    key=key.public_key, encoding="br")  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {"id": capture["envelope_header"]["event_id"]}


def test_event_id_is_generated_when_missing(client, ingest_queue, project, key):
    event = python_error()
    del event["event_id"]
    response = post(
        client, f"/api/{project.id}/store/", json.dumps(event).encode(), key=key.public_key
    )
    assert response.status_code == 200
    assert len(response.json()["id"]) == 32


@pytest.mark.parametrize("where", ["query", "envelope dsn", "basic"])
def test_other_auth_sources(client, ingest_queue, project, key, where):
    event = python_error()
    path = f"/api/{project.id}/envelope/"
    body = envelope(event)
    headers = {}
    if where == "query":
        path += f"?sentry_version=7&sentry_key={key.public_key}&sentry_client=sentry.javascript.node%2F8.55.2"
    elif where == "envelope dsn":
        header = json.dumps({"event_id": event["event_id"], "dsn": key.dsn()}).encode()
        body = header + body[body.index(b"\n") :]
    else:
        headers["Authorization"] = (
            "Basic " + base64.b64encode(f"{key.public_key}:x".encode()).decode()
        )
    response = post(client, path, body, **headers)
    assert response.status_code == 200, response.content
    assert ingest_queue.backlog() == 1


def test_prefixed_path_and_missing_trailing_slash(client, ingest_queue, project, key):
    for path in (f"/sub/path/api/{project.id}/envelope/", f"/api/{project.id}/envelope"):
        response = post(client, path, envelope(python_error()), key=key.public_key)
        assert response.status_code == 200, path


def test_disabled_key_and_key_of_another_project_are_rejected(client, ingest_queue, project, key):
    other = ProjectFactory()
    disabled = ProjectKeyFactory(project=project, is_active=False)
    for public_key in (disabled.public_key, other.keys.get().public_key):
        response = post(client, f"/api/{project.id}/store/", ok_event(), key=public_key)
        assert response.status_code == 403
    assert ingest_queue.backlog() == 0


def test_conflicting_keys_in_header_and_query(client, ingest_queue, project, key):
    path = f"/api/{project.id}/store/?sentry_key={'1' * 32}"
    response = post(client, path, ok_event(), key=key.public_key)
    assert response.status_code == 401


def test_cors_preflight_is_answered(client, project):
    response = client.options(
        f"/api/{project.id}/envelope/",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type, x-sentry-auth"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] in ("*", "https://app.example")
    assert "x-sentry-auth" in response["Access-Control-Allow-Headers"].lower()


def test_get_is_not_allowed(client, project):
    assert client.get(f"/api/{project.id}/store/").status_code == 405
