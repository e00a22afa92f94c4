"""The Airbrake endpoints: every hostile notice gets a clear 4xx, valid ones are queued."""

import gzip
import json

import pytest

from events.processing import prepare, store
from tests.support.factories import ProjectFactory, ProjectKeyFactory
from tests.support.notices import BILLION_LAUGHS, EXTERNAL_ENTITY, HOPTOAD_XML, pybrake_notice

pytestmark = pytest.mark.django_db


def post_v3(client, project_id, body, *, key=None, how="bearer", path="notices", **headers):
    url = f"/api/v3/projects/{project_id}/{path}"
    if key is not None and how == "query":
        url += f"?key={key}"
    elif key is not None and how == "bearer":
        headers["Authorization"] = f"Bearer {key}"
    elif key is not None and how == "token":
        headers["X-Airbrake-Token"] = key
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.generic("POST", url, data=data, content_type="application/json", headers=headers)


@pytest.mark.parametrize("how", ["bearer", "query", "token"])
@pytest.mark.parametrize("path", ["notices", "create-notice"])
def test_notice_is_queued_as_a_store_event(client, ingest_queue, project, key, how, path):
    response = post_v3(client, project.id, pybrake_notice(), key=key.public_key, how=how, path=path)
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["id"]) == 32 and body["url"].endswith(f"/locate/{body['id']}")
    assert response["Access-Control-Allow-Origin"] == "*"
    [message] = ingest_queue.read(10, 60)
    payload = message.payload
    assert (payload.kind, payload.content_encoding, payload.project_id) == ("store", "", project.id)
    prepared = prepare.prepare(payload)
    assert prepared.event_id == body["id"]
    assert prepared.title == "RuntimeError: wrapped" and prepared.culprit == "app.py in <module>"
    assert prepared.environment == "staging"


def test_errbit_style_key_in_place_of_the_project_id(client, ingest_queue, key):
    response = post_v3(client, key.public_key, pybrake_notice())
    assert response.status_code == 201, response.content
    response = post_v3(client, key.public_key, pybrake_notice(), key=key.public_key, how="query")
    assert response.status_code == 201
    assert ingest_queue.backlog() == 2


def test_gzip_body(client, ingest_queue, project, key):
    body = gzip.compress(json.dumps(pybrake_notice()).encode())
    response = post_v3(client, project.id, body, key=key.public_key, HTTP_CONTENT_ENCODING="gzip")
    response = client.generic(
        "POST", f"/api/v3/projects/{project.id}/notices?key={key.public_key}", data=body,
        content_type="application/json", headers={"Content-Encoding": "gzip"},
    )  # fmt: skip
    assert response.status_code == 201


def test_preflight_and_cors(client, project):
    response = client.options(f"/api/v3/projects/{project.id}/notices")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "content-type" in response["Access-Control-Allow-Headers"]


def big_notice():
    notice = pybrake_notice()
    notice["params"] = {"blob": "x" * (1024 * 1024 + 10)}
    return notice


# (name, project id: "id" | "key" | literal, body, kwargs for post_v3, status, text in the message)
HOSTILE_V3 = [
    ("no key at all", "id", pybrake_notice(), {"key": None}, 401, "missing API key"),
    ("unknown key", "id", pybrake_notice(), {"key": "f" * 32}, 422, "Your API key is unknown"),
    ("unknown key as project id", "nokey", pybrake_notice(), {"key": None}, 422, "unknown"),
    ("key of another project", "other", pybrake_notice(), {}, 403, "does not match"),
    ("conflicting keys", "id", pybrake_notice(), {"how": "bearer", "HTTP_X_AIRBRAKE_TOKEN": "zzz"}, 401, "conflicting"),
    ("malformed JSON", "id", b'{"errors": [', {}, 400, "Invalid request"),
    ("not JSON at all", "id", bytes(range(256)), {}, 400, "Invalid request"),
    ("JSON array", "id", [1, 2], {}, 400, "must be a JSON object"),
    ("empty body", "id", b"", {}, 400, "Invalid request"),
    ("missing errors", "id", {"context": {}}, {}, 400, "errors must be a non-empty list"),
    ("errors is a string", "id", {"errors": "boom"}, {}, 400, "errors must be a non-empty list"),
    ("error without type and message", "id", {"errors": [{}]}, {}, 400, "needs a type or a message"),
    ("backtrace is an object", "id", {"errors": [{"type": "X", "backtrace": {"file": "a"}}]}, {}, 400, "backtrace must be a list"),
    ("line is a list", "id", {"errors": [{"type": "X", "backtrace": [{"line": [1]}]}]}, {}, 400, "must be an integer"),
    ("context is a list", "id", {"errors": [{"type": "X"}], "context": []}, {}, 400, "context must be an object"),
    ("JSON nested 10,000 deep", "id", b'{"errors": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", {}, 400, "nested too deeply"),
    ("notice over 1 MiB", "id", big_notice(), {}, 413, "too large"),
    ("gzip bomb", "id", gzip.compress(b"{" + b" " * (30 * 1024 * 1024) + b"}"), {"HTTP_CONTENT_ENCODING": "gzip"}, 413, "too large"),
]  # fmt: skip


@pytest.mark.parametrize("name, pid, body, kwargs, status, text", HOSTILE_V3,
                         ids=[row[0] for row in HOSTILE_V3])  # fmt: skip
def test_hostile_v3_notices(
    client, ingest_queue, project, key, name, pid, body, kwargs, status, text
):
    kwargs = dict(kwargs)
    extra = {k: kwargs.pop(k) for k in list(kwargs) if k.startswith("HTTP_")}
    given_key = kwargs.pop("key", key.public_key)
    project_id = {"id": project.id, "other": ProjectFactory().id, "key": key.public_key}.get(
        pid, pid
    )
    url_key = {k.removeprefix("HTTP_").replace("_", "-").title(): v for k, v in extra.items()}
    response = post_v3(client, project_id, body, key=given_key, **kwargs, **url_key)
    assert response.status_code == status, response.content
    detail = response.json()
    assert text in detail["message"] and detail["detail"] == detail["message"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert ingest_queue.backlog() == 0


def test_disabled_key(client, ingest_queue, project):
    disabled = ProjectKeyFactory(project=project, is_active=False)
    response = post_v3(client, project.id, pybrake_notice(), key=disabled.public_key)
    assert response.status_code == 403 and "disabled" in response.json()["message"]


def test_rate_limit_answers_429_with_the_delay_pybrake_reads(client, ingest_queue, project, key):
    key.rate_limit_per_minute = 1
    key.save()
    assert post_v3(client, project.id, pybrake_notice(), key=key.public_key).status_code == 201
    response = post_v3(client, project.id, pybrake_notice(), key=key.public_key)
    assert response.status_code == 429
    assert int(response["X-RateLimit-Delay"]) >= 1 and response.json()["message"]
    assert ingest_queue.backlog() == 1


def test_get_is_refused(client, project, key):
    response = client.get(f"/api/v3/projects/{project.id}/notices?key={key.public_key}")
    assert response.status_code == 405 and response.json()["message"]


# --- v2 XML


def test_v2_xml_notice_is_queued(client, ingest_queue, project, key):
    body = HOPTOAD_XML.replace(b"{key}", key.public_key.encode())
    response = client.generic(
        "POST", "/notifier_api/v2/notices", data=body, content_type="text/xml"
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/xml")
    assert b"<notice><id>" in response.content and b"/locate/" in response.content
    [message] = ingest_queue.read(10, 60)
    prepared = prepare.prepare(message.payload)
    assert prepared.title == "RuntimeError: boom" and prepared.culprit == "users#create"
    assert prepared.project_id == project.id and prepared.release == "1.2.3"


def test_v2_form_encoded_and_get(client, ingest_queue, key):
    xml = HOPTOAD_XML.replace(b"{key}", key.public_key.encode()).decode()
    assert client.post("/notifier_api/v2/notices", {"data": xml}).status_code == 200
    assert client.get("/notifier_api/v2/notices", {"data": xml}).status_code == 200
    assert ingest_queue.backlog() == 2


HOSTILE_V2 = [
    ("billion laughs", BILLION_LAUGHS, 400, "DTD or entity"),
    ("external entity", EXTERNAL_ENTITY, 400, "DTD or entity"),
    ("truncated XML", HOPTOAD_XML[:200], 422, "not well-formed"),
    ("random bytes", bytes(range(256)) * 4, 422, "not well-formed"),
    ("empty body", b"", 400, "empty notice"),
    ("no api key", b"<notice><error><class>X</class></error></notice>", 401, "missing API key"),
    ("unknown api key", b"<notice><api-key>nope</api-key><error><class>X</class></error></notice>", 422, "unknown"),
    ("no error element", b"<notice><api-key>{key}</api-key></notice>", 400, "<error> is missing"),
    ("error without class or message", b"<notice><api-key>{key}</api-key><error/></notice>", 400, "needs a type or a message"),
    ("form with 5000 fields", b"a=1&" * 5000, 400, "too many form fields"),
    ("over 1 MiB", b"<notice>" + b"<x/>" * 300_000 + b"</notice>", 413, "too large"),
]  # fmt: skip


@pytest.mark.parametrize("name, body, status, text", HOSTILE_V2, ids=[row[0] for row in HOSTILE_V2])
def test_hostile_v2_notices(client, ingest_queue, key, name, body, status, text):
    body = body.replace(b"{key}", key.public_key.encode())
    response = client.generic(
        "POST", "/notifier_api/v2/notices", data=body, content_type="text/xml"
    )
    assert response.status_code == status, response.content
    assert text in response.json()["message"]
    assert ingest_queue.backlog() == 0


def test_locate_redirects_staff_to_the_issue(client, admin_user):
    from events.models import Event
    from tests.support.payloads import python_error

    project = ProjectFactory()
    payload_event = python_error()
    from events.queue import QueuedPayload

    prepared = prepare.prepare(QueuedPayload(project.id, payload_event["event_id"], 1.0, "store", "",
                                            json.dumps(payload_event).encode()))  # fmt: skip
    store.store_batch([prepared])
    event = Event.objects.get(event_id=payload_event["event_id"])
    url = f"/locate/{payload_event['event_id']}/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].endswith(
        f"/issue/{event.issue_id}/change/"
    )
    assert client.get(f"/locate/{'0' * 32}/").status_code == 404
