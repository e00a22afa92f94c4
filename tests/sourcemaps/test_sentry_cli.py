"""The unmodified sentry-cli 2.x and 3.x (`sourcemaps inject`, `sourcemaps upload`, 2.x's
`releases files … upload-sourcemaps`) against the real web server and worker, with a real
esbuild bundle; then an event of that bundle comes back mapped to the TypeScript source."""

import http.client
import http.server
import json
import threading
import urllib.parse
import urllib.request

import pytest

from api.models import ApiToken
from events.models import Event
from projects.models import Membership
from sourcemaps.models import ArtifactBundle, ArtifactFile, Chunk
from tests.sourcemaps import jsapp
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.support.payloads import auth_header, envelope
from tests.support.stack import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]


@pytest.fixture
def live_stack_env():
    # Small chunks, one per request: the resume test interrupts an upload between chunks.
    return {"SOURCEMAP_CHUNK_SIZE": "512", "SOURCEMAP_CHUNKS_PER_REQUEST": "1"}


@pytest.fixture
def acme(live_stack, tmp_path):
    user = UserFactory(username="ci", email="ci@example.com")
    org = OrganizationFactory(slug="acme")
    MembershipFactory(user=user, organization=org, role=Membership.Role.MEMBER)
    project = ProjectFactory(organization=org, slug="web", name="Web")
    project.alert_rules.all().delete()
    _row, token = ApiToken.issue(user, scopes=["read", "write"], name="ci")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SENTRY_URL": live_stack.base_url,
           "SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "acme", "SENTRY_PROJECT": "web",
           "SENTRY_DISABLE_UPDATE_CHECK": "1"}  # fmt: skip
    return project, env


def send(base_url: str, project, event: dict) -> Event:
    key = project.keys.get().public_key
    request = urllib.request.Request(
        f"{base_url}/api/{project.id}/envelope/", data=envelope(event),
        headers={"X-Sentry-Auth": auth_header(key), "Content-Type": "application/x-sentry-envelope"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    wait_until(lambda: Event.objects.filter(event_id=event["event_id"]).exists(), what="the event")
    return Event.objects.get(event_id=event["event_id"])


def assert_mapped(event: Event) -> None:
    frames = jsapp.app_frames(event.data)
    by_function = {f.get("function"): f for f in frames}
    for function, (path, line) in jsapp.LINES.items():
        name = "Checkout.total" if function == "total" else function
        frame = by_function.get(name)
        assert frame is not None, f"{name} not among {[f.get('function') for f in frames]}"
        assert frame["filename"].endswith(path) and frame["lineno"] == line, frame
        assert frame["data"]["symbolicated"] is True
    assert "throw new Error" in by_function["divide"]["context_line"]
    raw = event.data["exception"]["values"][-1]["raw_stacktrace"]["frames"]
    minified = [f for f in raw if "app.js" in f.get("filename", "")]  # the frames as sent
    assert minified and {f.get("function") for f in minified}.isdisjoint({"divide", "splitBill"})


@pytest.mark.parametrize("major", [3, 2])
def test_inject_upload_and_the_event_is_mapped_by_debug_id(acme, live_stack, tmp_path, major):
    project, env = acme
    binary = jsapp.cli(major)
    jsapp.write_sources(tmp_path)
    bundle = jsapp.esbuild(tmp_path)
    jsapp.run_cli(binary, env, "sourcemaps", "inject", "dist", cwd=tmp_path)
    debug_id = jsapp.debug_id(bundle)
    done = jsapp.run_cli(binary, env, "sourcemaps", "upload", "dist", cwd=tmp_path)
    assert "error" not in done.stderr.lower(), done.stderr

    stored = ArtifactBundle.objects.get(organization=project.organization)
    assert stored.state == ArtifactBundle.State.OK and stored.file_count == 2
    assert list(stored.projects.all()) == [project]
    files = ArtifactFile.objects.filter(debug_id=debug_id)
    assert sorted(files.values_list("type", flat=True)) == ["minified_source", "source_map"]
    assert Chunk.objects.filter(organization=project.organization).count() > 1  # small chunks

    event = jsapp.node_event(bundle, debug_ids={str(bundle): debug_id})
    assert_mapped(send(live_stack.base_url, project, event))


def test_2x_release_files_upload_sourcemaps_maps_by_release_and_url(acme, live_stack, tmp_path):
    project, env = acme
    binary = jsapp.cli(2)
    jsapp.write_sources(tmp_path)
    bundle = jsapp.esbuild(tmp_path)
    jsapp.run_cli(binary, env, "releases", "files", "web@1.4.2+build.7", "upload-sourcemaps",
                  "dist", "--url-prefix", "~/static", cwd=tmp_path)  # fmt: skip
    stored = ArtifactBundle.objects.get(organization=project.organization)
    assert stored.state == ArtifactBundle.State.OK and stored.release == "web@1.4.2+build.7"
    assert set(ArtifactFile.objects.values_list("url", flat=True)) == {
        "~/static/app.js", "~/static/app.js.map"}  # fmt: skip

    event = jsapp.node_event(bundle, release="web@1.4.2+build.7")
    for frame in event["exception"]["values"][0]["stacktrace"]["frames"]:
        if frame["filename"] == str(bundle):  # as a browser reports it
            frame["filename"] = frame["abs_path"] = "https://shop.example.com/static/app.js?v=7"
    assert_mapped(send(live_stack.base_url, project, event))

    # Another release has nothing: the frame says so, naming the release.
    other = jsapp.node_event(bundle, release="web@9.9.9")
    for frame in other["exception"]["values"][0]["stacktrace"]["frames"]:
        if frame["filename"] == str(bundle):
            frame["filename"] = frame["abs_path"] = "https://shop.example.com/static/app.js"
    stored = send(live_stack.base_url, project, other)
    frames = stored.data["exception"]["values"][0]["stacktrace"]["frames"]
    reasons = [
        f["data"]["sourcemap_error"] for f in frames if "sourcemap_error" in f.get("data", {})
    ]
    assert reasons and reasons[0]["type"] == "missing_release_file"
    assert "~/static/app.js in release web@9.9.9" in reasons[0]["message"]
    assert "raw_stacktrace" not in json.dumps(stored.data)


class CuttingProxy:
    """Forwards to the server, but answers 500 to every chunk POST after the first `keep`:
    an upload cut off halfway (sentry-cli does not retry a 500)."""

    def __init__(self, upstream: str, keep: int):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.keep = keep
        self.forwarded_chunk_posts = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self._forward()

            def do_POST(self):
                self._forward()

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.command == "POST" and self.path.endswith("/chunk-upload/"):
                    if proxy.forwarded_chunk_posts >= proxy.keep:
                        self._answer(500, b'{"detail":"cut off"}', "application/json")
                        return
                    proxy.forwarded_chunk_posts += 1
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                conn.request(self.command, self.path, body, headers)  # Host: the proxy's
                response = conn.getresponse()
                self._answer(response.status, response.read(),
                             response.getheader("Content-Type", "application/json"))  # fmt: skip
                conn.close()

            def _answer(self, status, data, content_type):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_an_interrupted_upload_resumes_with_only_the_missing_chunks(acme, live_stack, tmp_path):
    project, env = acme
    binary = jsapp.cli(3)
    jsapp.write_sources(tmp_path)
    jsapp.esbuild(tmp_path)
    jsapp.run_cli(binary, env, "sourcemaps", "inject", "dist", cwd=tmp_path)
    proxy = CuttingProxy(live_stack.base_url, keep=2)
    try:
        cut = jsapp.run_cli(binary, {**env, "SENTRY_URL": proxy.url}, "sourcemaps", "upload",
                            "dist", cwd=tmp_path, check=False)  # fmt: skip
    finally:
        proxy.close()
    assert cut.returncode != 0, cut.stdout
    org = project.organization
    assert Chunk.objects.filter(organization=org).count() == 2  # what got through
    assert not ArtifactBundle.objects.filter(organization=org, state="ok").exists()

    jsapp.run_cli(binary, env, "sourcemaps", "upload", "dist", cwd=tmp_path)
    chunks = Chunk.objects.filter(organization=org)
    assert chunks.count() > 2  # the rest came now
    assert set(chunks.values_list("received", flat=True)) == {1}  # and nothing came twice
    assert ArtifactBundle.objects.get(organization=org).state == ArtifactBundle.State.OK
