"""The production ingest path: events/ingest/wsgi.py's fast path, called as a WSGI server
calls it (granian serves it in ./run.sh), with no Django request or middleware."""

import io
import json
import logging

import pytest

from events.ingest import sentry, wsgi
from tests.support.payloads import auth_header, envelope, python_error

pytestmark = pytest.mark.django_db


class Downstream:
    """Django's application, as far as the fast path can tell: records what it is sent."""

    def __init__(self):
        self.paths = []

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"django"]


def call(app, path, body=b"", method="POST", chunked=False, **headers):
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
        "REMOTE_ADDR": "203.0.113.9", "wsgi.input": io.BytesIO(body),
    }  # fmt: skip
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    elif body:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "QUERY_STRING") else f"HTTP_{key}"] = value
    seen = {}

    def start_response(status, response_headers):
        seen["status"], seen["headers"] = status, response_headers

    content = b"".join(app(environ, start_response))
    return seen["status"], dict(seen["headers"]), content


@pytest.fixture
def app():
    return wsgi.IngestFastPath(Downstream())


def test_other_paths_go_to_django(app):
    for path in (
        "/",
        "/api/0/projects/",
        "/api/1/stores/",
        "/issues/1/",
        "/api/v3/projects/1/notices",
    ):
        status, _, content = call(app, path, method="GET")
        assert (status, content) == ("200 OK", b"django")
    assert app.app.paths[-1] == "/api/v3/projects/1/notices"


@pytest.mark.parametrize("path", ["/api/{}/store/", "/api/{}/store", "/sub/path/api/{}/store/"])
def test_a_store_event_is_queued_and_answered(app, ingest_queue, project, key, path):
    event = python_error()
    status, headers, content = call(
        app, path.format(project.id), json.dumps(event).encode(),
        X_Sentry_Auth=auth_header(key.public_key),
    )  # fmt: skip
    assert status == "200 OK" and json.loads(content) == {"id": event["event_id"]}
    assert headers["Content-Type"] == "application/json"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "x-sentry-rate-limits" in headers["Access-Control-Expose-Headers"]
    assert app.app.paths == []
    [message] = ingest_queue.read(10, 60)
    assert (message.payload.event_id, message.payload.client_ip) == (
        event["event_id"],
        "203.0.113.9",
    )


def test_a_chunked_envelope_without_content_length(app, ingest_queue, project, key):
    """What Node SDKs send: read from the server's input stream to its end."""
    event = python_error()
    status, _, content = call(
        app, f"/api/{project.id}/envelope/", envelope(event), chunked=True,
        X_Sentry_Auth=auth_header(key.public_key),
    )  # fmt: skip
    assert status == "200 OK" and json.loads(content) == {"id": event["event_id"]}
    assert ingest_queue.backlog() == 1


def test_preflight_has_the_cors_answer_browsers_need(app, project):
    status, headers, content = call(app, f"/api/{project.id}/envelope/", method="OPTIONS")
    assert status == "200 OK" and content == b"{}"
    assert headers["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert "x-sentry-auth" in headers["Access-Control-Allow-Headers"]
    assert headers["Access-Control-Max-Age"] == "86400"


def test_other_methods_are_refused(app, project):
    status, headers, content = call(app, f"/api/{project.id}/store/", method="GET")
    assert status == "405 Method Not Allowed" and json.loads(content)["detail"]
    assert "Access-Control-Allow-Methods" not in headers


def test_a_refusal_keeps_its_headers_and_cors(app, ingest_queue, project):
    status, headers, content = call(
        app, f"/api/{project.id}/store/", json.dumps(python_error()).encode(),
        X_Sentry_Auth=auth_header("f" * 32),
    )  # fmt: skip
    assert status == "403 Forbidden"
    assert headers["X-Sentry-Error"] == json.loads(content)["detail"]
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert ingest_queue.backlog() == 0


def test_a_bug_answers_500_and_is_logged(app, monkeypatch, project, caplog):
    def broken(request, project_id, kind):
        raise RuntimeError("a bug")

    monkeypatch.setattr(sentry, "ingest", broken)
    with caplog.at_level(logging.ERROR, logger="events.ingest.wsgi"):
        status, headers, content = call(app, f"/api/{project.id}/store/", b"{}")
    assert status == "500 Internal Server Error"
    assert json.loads(content) == {"detail": "internal error"}
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "ingest failed" in caplog.text and "a bug" in caplog.text


def test_each_answer_gets_a_fresh_header_list(app, project):
    """Servers may append to the list they are given: it must not be shared."""
    seen = []

    def start_response(status, headers):
        headers.append(("X-Added-By-Server", "1"))
        seen.append(headers)

    environ = {"REQUEST_METHOD": "OPTIONS", "PATH_INFO": f"/api/{project.id}/store/"}
    app(dict(environ), start_response)
    app(dict(environ), start_response)
    assert seen[0] is not seen[1]
    assert [h for h in seen[1] if h[0] == "X-Added-By-Server"] == [("X-Added-By-Server", "1")]
