"""Chunk upload, assemble and legacy release files through the API, in-process: the limits,
hostile bundles, honest assemble answers, and organizations kept apart. Then events of the
uploaded files through the real write path: mapped, or stored unmapped with the reason."""

import gzip
import io
import json
import os
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from api.models import ApiToken
from events.models import Event
from sourcemaps import lookup, maps
from sourcemaps.models import ArtifactBundle, ArtifactFile, Chunk
from tests.sourcemaps import bundles
from tests.sourcemaps.bundles import sha1
from tests.support.world import store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sourcemaps"
APP_JS = (FIXTURES / "app.js").read_bytes()
APP_MAP = (FIXTURES / "app.js.map").read_bytes()
DEBUG_ID = "2f536de6-00b8-5378-bc5f-9c68ef061032"


@pytest.fixture(autouse=True)
def _fresh_caches():
    lookup.clear()
    maps.cache().clear()


@pytest.fixture
def client(alice):
    _row, token = ApiToken.issue(alice, scopes=["read", "write"], name="ci")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def test_chunk_upload_options_announce_the_limits(client, settings):
    settings.SOURCEMAP_CHUNK_SIZE = 1234
    body = client.get("/api/0/organizations/org-a/chunk-upload/").json()
    assert body["url"] == "http://testserver/api/0/organizations/org-a/chunk-upload/"
    assert body["chunkSize"] == 1234 and body["hashAlgorithm"] == "sha1"
    assert {"chunksPerRequest", "maxRequestSize", "concurrency"} <= set(body)
    assert body["compression"] == ["gzip"]
    assert set(body["accept"]) == {"release_files", "artifact_bundles"}


def test_chunks_are_verified_and_sizes_enforced(client, settings, org_a):
    settings.SOURCEMAP_CHUNK_SIZE = 1000
    settings.SOURCEMAP_CHUNKS_PER_REQUEST = 2
    settings.SOURCEMAP_MAX_REQUEST_SIZE = 4000
    ok = bundles.post_chunks(client, "org-a", [b"a" * 1000])
    assert ok.status_code == 200
    assert Chunk.objects.get(organization=org_a).checksum == sha1(b"a" * 1000)

    wrong = SimpleUploadedFile(sha1(b"other"), gzip.compress(b"content"))
    refused = client.post("/api/0/organizations/org-a/chunk-upload/", {"file_gzip": [wrong]},
                          format="multipart")  # fmt: skip
    assert refused.status_code == 400 and "SHA-1" in refused.json()["detail"]

    oversize = bundles.post_chunks(client, "org-a", [b"b" * 1001])
    assert oversize.status_code == 400 and "chunkSize" in oversize.json()["detail"]
    too_many = bundles.post_chunks(client, "org-a", [b"c", b"d", b"e"])
    assert too_many.status_code == 400 and "chunksPerRequest" in too_many.json()["detail"]
    huge = bundles.post_chunks(client, "org-a", [os.urandom(100_000)])  # gzip cannot shrink it
    assert huge.status_code == 413 and "maxRequestSize" in huge.json()["detail"]
    not_gzip = SimpleUploadedFile(sha1(b"x"), b"x")
    bad = client.post("/api/0/organizations/org-a/chunk-upload/", {"file_gzip": [not_gzip]},
                      format="multipart")  # fmt: skip
    assert bad.status_code == 400
    assert Chunk.objects.filter(organization=org_a).count() == 1  # none of the refused kept


def test_assemble_is_honest_about_missing_chunks(client, org_a):
    data = bundles.bundle(bundles.script_and_map("~/app.js", APP_JS, APP_MAP, DEBUG_ID))
    chunks = bundles.chunks_of(data, 500)
    first = bundles.assemble(client, "org-a", data, chunks).json()
    assert first == {"state": "not_found", "missingChunks": [sha1(c) for c in chunks]}
    bundles.post_chunks(client, "org-a", chunks[:1])
    second = bundles.assemble(client, "org-a", data, chunks).json()
    assert second == {"state": "not_found", "missingChunks": [sha1(c) for c in chunks[1:]]}
    for chunk in chunks[1:]:
        bundles.post_chunks(client, "org-a", [chunk])
    assert bundles.assemble(client, "org-a", data, chunks).json() == {
        "state": "ok",
        "missingChunks": [],
    }
    assert bundles.assemble(client, "org-a", data, chunks).json()["state"] == "ok"  # --wait
    assert set(Chunk.objects.values_list("received", flat=True)) == {1}  # nothing sent twice
    files = ArtifactFile.objects.filter(organization=org_a, debug_id=DEBUG_ID)
    assert {f.url for f in files} == {"~/app.js", "~/app.js.map"}


def test_another_organization_sees_nothing(client, org_b, charlie):
    data = bundles.bundle(bundles.script_and_map("~/app.js", APP_JS, APP_MAP, DEBUG_ID))
    assert bundles.upload(client, "org-a", data)["state"] == "ok"
    _row, token = ApiToken.issue(charlie, scopes=["read", "write"], name="b")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert other.get("/api/0/organizations/org-a/chunk-upload/").status_code == 404
    assert bundles.assemble(other, "org-a", data, [data]).status_code == 404
    # The same bytes uploaded by org B are B's own: A's chunks do not count for B.
    answer = bundles.assemble(other, "org-b", data, [data]).json()
    assert answer["state"] == "not_found" and answer["missingChunks"] == [sha1(data)]


def _zip_bomb_entries(count: int) -> dict:
    return {
        f"files/_/_/{n}.js": (b"", {"type": "source", "url": f"~/{n}.js"}) for n in range(count)
    }


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda: b"this is not a zip" * 10, "not a zip"),
        (lambda: bundles.bundle({}, manifest=None, extra_entries={"x": b"1"}) .replace(b"manifest.json", b"manifest.xxxx"), "no manifest"),
        (lambda: bundles.bundle({"../evil.js": (b"x", {"url": "~/evil.js"})}), "unsafe path"),
        (lambda: bundles.bundle({}, manifest={"files": {"/etc/passwd": {"url": "~/x"}}}), "unsafe path"),
        (lambda: bundles.bundle({}, manifest={"files": {"files/_/_/a/../../../x": {"url": "~/x"}}}), "unsafe path"),
        (lambda: bundles.bundle({"files/_/_/big.js": (b"\0" * (3 * 1024 * 1024), {"url": "~/big.js"})}), "unpacks to"),
        (lambda: bundles.bundle(_zip_bomb_entries(60)), "entries"),
        (lambda: bundles.bundle({}, manifest=[1, 2]), "not an object"),
    ],
    ids=["not-zip", "no-manifest", "dotdot-entry", "absolute", "dotdot-manifest", "bomb-size", "bomb-count", "bad-manifest"],
)  # fmt: skip
def test_hostile_bundles_end_in_an_error_state_with_the_reason(client, settings, make, reason):
    settings.SOURCEMAP_MAX_UNCOMPRESSED = 2 * 1024 * 1024
    settings.SOURCEMAP_MAX_ENTRIES = 50
    answer = bundles.upload(client, "org-a", make())
    assert answer["state"] == "error" and reason in answer["detail"], answer
    assert not ArtifactFile.objects.exists()
    assert ArtifactBundle.objects.get().state == ArtifactBundle.State.ERROR


def test_a_50_mb_map_is_refused_by_the_one_file_limit(client, project, ingest_queue):
    big_map = b'{"version":3,"sources":["a.js"],"mappings":"' + b"A" * (50 * 1024 * 1024) + b'"}'
    data = bundles.bundle(bundles.script_and_map("~/big.js", APP_JS, big_map, DEBUG_ID))
    assert len(data) < 1024 * 1024  # it compresses: only the unpacked size tells
    answer = bundles.upload(client, "org-a", data)
    assert answer["state"] == "error" and "over the limit" in answer["detail"]
    url = "https://shop.example.com/big.js"  # its events are stored, unmapped, with the reason
    event = js_event(node_frames(url), debug_meta={"images": [
        {"type": "sourcemap", "code_file": url, "debug_id": DEBUG_ID}]})  # fmt: skip
    store(project, event)
    assert reasons(stored_frames(event))[0]["type"] == "missing_debug_id_bundle"


def test_checksum_must_match_the_chunks(client):
    data = bundles.bundle(bundles.script_and_map("~/app.js", APP_JS, APP_MAP, DEBUG_ID))
    bundles.post_chunks(client, "org-a", [data])
    body = {"checksum": sha1(b"something else"), "chunks": [sha1(data)], "projects": []}
    answer = client.post("/api/0/organizations/org-a/artifactbundle/assemble/", body, format="json")
    assert answer.json()["state"] == "error" and "checksum" in answer.json()["detail"]
    bad = client.post("/api/0/organizations/org-a/artifactbundle/assemble/",
                      {"checksum": "nope", "chunks": []}, format="json")  # fmt: skip
    assert bad.status_code == 400
    unknown = bundles.assemble(client, "org-a", data, [data], projects=["nope"])
    assert unknown.status_code == 400 and "nope" in unknown.json()["detail"]


def node_frames(filename: str) -> list[dict]:
    """The frames node printed for the fixture bundle (oldest first)."""
    spots = [(202, None), (185, "m"), (148, "n.total"), (38, "u")]
    return [{"filename": filename, "abs_path": filename, "lineno": 1, "colno": col, "in_app": True,
             **({"function": fn} if fn else {})} for col, fn in spots]  # fmt: skip


def js_event(frames, **extra) -> dict:
    return {"event_id": uuid.uuid4().hex, "platform": "javascript", "level": "error",
            "exception": {"values": [{"type": "Error", "value": "cannot divide 6 by zero",
                                      "stacktrace": {"frames": frames}}]}, **extra}  # fmt: skip


def stored_frames(event: dict) -> list[dict]:
    data = Event.objects.get(event_id=event["event_id"]).data
    return data["exception"]["values"][0]["stacktrace"]["frames"]


def reasons(frames) -> list[dict]:
    return [f["data"]["sourcemap_error"] for f in frames if "sourcemap_error" in f.get("data", {})]


def test_events_are_mapped_by_debug_id_or_stored_with_the_reason(client, project, store_events):
    url = "https://shop.example.com/assets/app.js"
    debug_meta = {"images": [{"type": "sourcemap", "code_file": url, "debug_id": DEBUG_ID}]}
    early = js_event(node_frames(url), debug_meta=debug_meta)
    store_events(project, early)
    why = reasons(stored_frames(early))
    assert why and why[0]["type"] == "missing_debug_id_bundle" and DEBUG_ID in why[0]["message"]

    data = bundles.bundle(bundles.script_and_map("~/app.js", APP_JS, APP_MAP, DEBUG_ID))
    assert bundles.upload(client, "org-a", data)["state"] == "ok"
    lookup.clear()  # the worker's negative answers last seconds; this test does not wait
    event = js_event(node_frames(url), debug_meta=debug_meta)
    store_events(project, event)
    crash = stored_frames(event)[-1]
    assert (crash["filename"], crash["lineno"], crash["function"]) == ("src/math.ts", 3, "divide")
    assert crash["context_line"].strip().startswith("throw new Error")
    assert crash["in_app"] is True and crash["data"]["resolved_with"] == "debug-id"
    assert stored_frames(event)[-2]["function"] == "Checkout.total"

    beyond = js_event([{**node_frames(url)[-1], "lineno": 99}], debug_meta=debug_meta)
    store_events(project, beyond)
    assert reasons(stored_frames(beyond))[0]["type"] == "no_mapping"

    bare = js_event(node_frames("https://shop.example.com/other.js"))
    store_events(project, bare)
    assert reasons(stored_frames(bare))[0]["type"] == "no_debug_id_or_release"


def test_garbage_mappings_store_the_event_unmapped_with_the_parser_message(
    client, project, store_events
):
    garbage = json.dumps({"version": 3, "sources": ["a.ts"], "names": [],
                          "mappings": "!!!;;@@@,,,zzzzzzzzzzz"}).encode()  # fmt: skip
    debug_id = "11111111-2222-5333-8444-555555555555"
    data = bundles.bundle(bundles.script_and_map("~/app.js", APP_JS, garbage, debug_id))
    assert bundles.upload(client, "org-a", data)["state"] == "ok"  # maps are parsed when used
    url = "https://shop.example.com/app.js"
    event = js_event(node_frames(url), debug_meta={"images": [
        {"type": "sourcemap", "code_file": url, "debug_id": debug_id}]})  # fmt: skip
    store_events(project, event)
    why = reasons(stored_frames(event))
    assert why and why[0]["type"] == "bad_sourcemap" and "could not be parsed" in why[0]["message"]


def test_legacy_release_files_list_upload_delete_and_map(client, project, store_events):
    base = "/api/0/projects/org-a/backend/releases/web@1.0.0%2Bbuild.5/files/"
    source = client.post(base, {"file": SimpleUploadedFile("app.js", APP_JS), "name": "~/js/app.js",
                                "header": ["Sourcemap:app.js.map"]}, format="multipart")  # fmt: skip
    assert source.status_code == 201, source.content
    assert {"id", "name", "headers", "size", "sha1"} <= set(source.json())
    assert source.json()["headers"] == {"Sourcemap": "app.js.map"}
    sent = client.post(base, {"file": SimpleUploadedFile("app.js.map", APP_MAP),
                              "name": "~/js/app.js.map"}, format="multipart")  # fmt: skip
    assert sent.status_code == 201
    again = client.post(base, {"file": SimpleUploadedFile("app.js", APP_JS), "name": "~/js/app.js"},
                        format="multipart")  # fmt: skip
    assert again.status_code == 409
    listed = client.get(base + "?cursor=").json()
    assert sorted(f["name"] for f in listed) == ["~/js/app.js", "~/js/app.js.map"]
    assert ArtifactFile.objects.get(url="~/js/app.js").release == "web@1.0.0+build.5"

    event = js_event(
        node_frames("https://cdn.example.com/js/app.js?v=3"), release="web@1.0.0+build.5"
    )
    store_events(project, event)
    crash = stored_frames(event)[-1]
    assert (crash["filename"], crash["lineno"], crash["data"]["resolved_with"]) == (
        "src/math.ts",
        3,
        "release",
    )

    # A debug ID no upload has: the release's files still map the frame.
    url = "https://cdn.example.com/js/app.js"
    unknown = {"images": [{"type": "sourcemap", "code_file": url, "debug_id": DEBUG_ID}]}
    both = js_event(node_frames(url), release="web@1.0.0+build.5", debug_meta=unknown)
    store_events(project, both)
    assert stored_frames(both)[-1]["data"]["resolved_with"] == "release"

    missing = js_event(node_frames("https://cdn.example.com/js/ap.js"), release="web@1.0.0+build.5")
    store_events(project, missing)
    message = reasons(stored_frames(missing))[0]["message"]
    assert "~/js/ap.js in release web@1.0.0+build.5" in message and "~/js/app.js" in message

    file_id = source.json()["id"]
    assert client.delete(f"{base}{file_id}/").status_code == 204
    assert client.delete(f"{base}{file_id}/").status_code == 404
    assert [f["name"] for f in client.get(base).json()] == ["~/js/app.js.map"]


def test_release_bundle_assemble(client, org_a):
    files = bundles.script_and_map("~/app.js", APP_JS, APP_MAP, DEBUG_ID)
    data = bundles.bundle(files, manifest={"files": {p: i for p, (_d, i) in files.items()},
                                           "release": "1.0.0"})  # fmt: skip
    url = "/api/0/organizations/org-a/releases/1.0.0/assemble/"
    body = {"checksum": sha1(data), "chunks": [sha1(data)]}
    assert client.post(url, body, format="json").json()["missingChunks"] == [sha1(data)]
    bundles.post_chunks(client, "org-a", [data])
    assert client.post(url, body, format="json").json() == {"state": "ok", "missingChunks": []}
    assert set(ArtifactFile.objects.values_list("release", flat=True)) == {"1.0.0"}


def test_maps_that_arrive_later_are_named_on_the_issue_page_and_reprocessing_maps_the_event(
    client, project, store_events, alice
):
    project.platform = "javascript"
    project.save()
    url = "https://shop.example.com/assets/app.js"
    debug_meta = {"images": [{"type": "sourcemap", "code_file": url, "debug_id": DEBUG_ID}]}
    early = js_event(node_frames(url), debug_meta=debug_meta)
    (issue,) = store_events(project, early)
    page = Client()
    page.force_login(alice)
    assert "arrived after the event" not in page.get(f"/issues/{issue.pk}/").content.decode()

    data = bundles.bundle(bundles.script_and_map("~/app.js", APP_JS, APP_MAP, DEBUG_ID))
    assert bundles.upload(client, "org-a", data)["state"] == "ok"
    html = page.get(f"/issues/{issue.pk}/").content.decode()
    assert "arrived after the event" in html and f"reprocess_sourcemaps {issue.pk}" in html
    assert "No bundle with debug ID" in html  # the frame's own reason stays as it was

    out = io.StringIO()
    call_command("reprocess_sourcemaps", str(issue.pk), stdout=out)
    assert "1 updated, 4 more frames mapped" in out.getvalue()
    crash = stored_frames(early)[-1]
    assert (crash["filename"], crash["lineno"], crash["function"]) == ("src/math.ts", 3, "divide")
    assert "arrived after the event" not in page.get(f"/issues/{issue.pk}/").content.decode()
    api = client.get(f"/api/0/projects/org-a/backend/events/{early['event_id']}/").json()
    exception = next(e for e in api["entries"] if e["type"] == "exception")["data"]["values"][0]
    assert exception["stacktrace"]["frames"][-1]["data"]["resolved_with"] == "debug-id"
    assert exception["raw_stacktrace"]["frames"][-1]["function"] == "u"


def test_chunks_expire_a_day_after_their_upload(client, org_a, time_machine):
    from datetime import timedelta

    from django.utils import timezone

    from sourcemaps import storage
    from sourcemaps.tasks import expire_chunks

    bundles.post_chunks(client, "org-a", [b"old chunk"])
    name = storage.chunk_name(org_a.pk, sha1(b"old chunk"))
    assert storage.exists(name)
    assert expire_chunks() == 0
    time_machine.move_to(timezone.now() + timedelta(days=1, minutes=1))
    assert expire_chunks() == 1
    assert not storage.exists(name) and not Chunk.objects.exists()


def test_any_django_storage_backend_holds_the_files(client, settings, project, store_events):
    """A non-filesystem backend (Django's in-memory one standing in for django-storages'):
    chunks, bundle files and the worker's reads all go through it."""
    from django.core.files.storage import storages

    settings.STORAGES = {**settings.STORAGES,
                         "sourcemaps": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}  # fmt: skip
    backend = storages["sourcemaps"]
    assert type(backend).__name__ == "InMemoryStorage"
    data = bundles.bundle(bundles.script_and_map("~/app.js", APP_JS, APP_MAP, DEBUG_ID))
    assert bundles.upload(client, "org-a", data)["state"] == "ok"
    stored = ArtifactFile.objects.get(url="~/app.js.map")
    assert backend.exists(f"files/{project.organization_id}/{stored.sha1[:2]}/{stored.sha1}")
    url = "https://shop.example.com/app.js"
    event = js_event(node_frames(url), debug_meta={"images": [
        {"type": "sourcemap", "code_file": url, "debug_id": DEBUG_ID}]})  # fmt: skip
    store_events(project, event)
    assert stored_frames(event)[-1]["filename"] == "src/math.ts"
