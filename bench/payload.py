"""The benchmark's requests: real sentry-python envelopes, one per event, fully rendered.

Every event is the captured fixture with a unique event id, fresh timestamps and one of G
groups that differ in everything grouping looks at. Requests are rendered to bytes here,
before any clock starts (bench/loadgen.py sends them; bench/stages.py replays them).
"""

from __future__ import annotations

import copy
import gzip
import ipaddress
import json
import multiprocessing
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import brotli

try:
    import orjson

    def _dumps(value) -> bytes:
        return orjson.dumps(value)
except ImportError:  # pragma: no cover - orjson is an app dependency

    def _dumps(value) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()


# The captured sentry-python envelope the tests use too (tests/fixtures/README.md).
FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sentry_python_envelope.json"
USER_AGENT = "sentry.python/2.75.0"
BROTLI_QUALITY = 4  # sentry-python's default for "br"
GZIP_LEVEL = 9  # sentry-python's default for "gzip"


@dataclass(frozen=True)
class Dsn:
    public_key: str
    host: str
    port: int
    project_id: str

    @property
    def envelope_path(self) -> str:
        return f"/api/{self.project_id}/envelope/"


def parse_dsn(dsn: str) -> Dsn:
    parts = urlsplit(dsn)
    if parts.scheme != "http":
        raise ValueError("only http:// DSNs are supported (loopback, no TLS)")
    if not parts.username or not parts.hostname:
        raise ValueError(f"not a DSN: {dsn!r}")
    project_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not project_id.isdigit():
        raise ValueError(f"no project id in DSN: {dsn!r}")
    return Dsn(parts.username, parts.hostname, parts.port or 80, project_id)


def ensure_loopback(host: str, port: int) -> None:
    """Refuse anything that is not this machine: this tool is a load generator."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = {info[4][0] for info in infos}
    if not addresses or not all(
        ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses
    ):
        raise ValueError(f"{host} is {sorted(addresses)}: only loopback targets are allowed")


def split_envelope(text: str) -> tuple[dict, dict, dict]:
    """(envelope header, item header, event) of a one-item envelope."""
    lines = text.split("\n")
    if len(lines) < 3:
        raise ValueError("expected an envelope header, an item header and a payload")
    header, item_header = json.loads(lines[0]), json.loads(lines[1])
    if item_header.get("type") != "event":
        raise ValueError("the fixture's first item is not an event")
    return header, item_header, json.loads(lines[2])


def render_envelope(header: dict, item_header: dict, event: dict) -> bytes:
    """Envelope bytes with the item `length` computed from the payload actually sent."""
    payload = _dumps(event)
    item = {**item_header, "length": len(payload)}
    return _dumps(header) + b"\n" + _dumps(item) + b"\n" + payload + b"\n"


def group_name(group: int) -> str:
    return f"BenchGroup{group:03d}Error"


def group_template(event: dict, group: int) -> dict:
    """The fixture's event as raised by a different piece of code.

    The exception type, the in-app frames' module and function, and the library frames'
    module and functions all depend on the group, so groups differ in everything the
    grouping algorithm looks at (not only in the type).
    """
    tpl = copy.deepcopy(event)
    old_type = tpl["exception"]["values"][-1]["type"]
    for exc in tpl["exception"]["values"]:
        exc["type"] = group_name(group)
        if exc.get("module") == "payments":
            exc["module"] = f"payments{group:03d}"
        if isinstance(exc.get("value"), str):
            exc["value"] = exc["value"].replace("in service 0", f"in service {group}")
        for frame in (exc.get("stacktrace") or {}).get("frames") or []:
            _vary_frame(frame, group)
    if isinstance(tpl.get("tags"), dict):
        tpl["tags"]["service"] = f"svc{group:03d}"
    # Strings that merely mention the type (frame vars) follow along.
    return json.loads(json.dumps(tpl).replace(old_type, group_name(group)))


def _vary_frame(frame: dict, group: int) -> None:
    if frame.get("in_app") is True:
        frame["module"] = f"shop.group{group:03d}"
        frame["filename"] = f"group{group:03d}.py"
        frame["abs_path"] = f"/srv/app/shop/group{group:03d}.py"
        frame["function"] = f"{frame.get('function') or 'handler'}_{group:03d}"
    elif frame.get("module") == "payments":
        frame["module"] = f"payments{group:03d}"
        frame["filename"] = f"payments{group:03d}.py"
        frame["abs_path"] = f"/srv/app/shop/payments{group:03d}.py"
        function = frame.get("function") or ""
        if function.endswith("_0"):
            frame["function"] = f"{function[:-2]}_{group}"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_envelope(
    header: dict, item_header: dict, template: dict, index: int, event_id: str, now: float
) -> bytes:
    """One envelope: unique event id (header and event), fresh timestamps, a user out of 97."""
    event = dict(template)
    event["event_id"] = event_id
    event["timestamp"] = _iso(now)
    event["user"] = {"id": f"u-{index % 97}", "email": f"user{index % 97}@example.invalid"}
    contexts = dict(event.get("contexts") or {})
    if isinstance(contexts.get("order"), dict):
        contexts["order"] = {**contexts["order"], "order_id": f"o-{index}"}
    event["contexts"] = contexts
    env_header = {**header, "event_id": event_id, "sent_at": _iso(now)}
    if isinstance(env_header.get("trace"), dict):
        env_header["trace"] = {**env_header["trace"], "trace_id": uuid.uuid4().hex}
    return render_envelope(env_header, item_header, event)


def compress(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=BROTLI_QUALITY)
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    if encoding == "none":
        return data
    raise ValueError(f"unknown encoding {encoding!r}")


def render_request(dsn: Dsn, body: bytes, encoding: str) -> bytes:
    auth = f"Sentry sentry_key={dsn.public_key}, sentry_version=7, sentry_client={USER_AGENT}"
    lines = [
        f"POST {dsn.envelope_path} HTTP/1.1",
        f"Host: {dsn.host}:{dsn.port}",
        "Accept-Encoding: identity",
        f"Content-Length: {len(body)}",
        "Content-Type: application/x-sentry-envelope",
        f"User-Agent: {USER_AGENT}",
        f"X-Sentry-Auth: {auth}",
    ]
    if encoding != "none":
        lines.append(f"Content-Encoding: {encoding}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Prepared:
    requests: list[bytes]
    event_ids: list[bytes]
    wire_bytes: int
    envelope_bytes: int
    groups: int = 1  # request i belongs to group i % groups


def _build_chunk(args) -> tuple[list[bytes], list[bytes], int, int]:
    fixture_text, dsn, encoding, groups, start, stop, now = args
    header, item_header, event = split_envelope(fixture_text)
    templates = [group_template(event, g) for g in range(groups)]
    requests, ids, wire, raw = [], [], 0, 0
    for i in range(start, stop):
        event_id = uuid.uuid4().hex
        envelope = make_envelope(header, item_header, templates[i % groups], i, event_id, now)
        body = compress(envelope, encoding)
        requests.append(render_request(dsn, body, encoding))
        ids.append(event_id.encode())
        wire += len(body)
        raw += len(envelope)
    return requests, ids, wire, raw


def build_requests(
    fixture_text: str, dsn: Dsn, n: int, groups: int, encoding: str, jobs: int = 2
) -> Prepared:
    """All requests, event i in group i % groups. Parallel over `jobs` processes."""
    now = time.time()
    bounds = [(n * k // jobs, n * (k + 1) // jobs) for k in range(jobs)]
    tasks = [(fixture_text, dsn, encoding, groups, a, b, now) for a, b in bounds if b > a]
    if jobs > 1 and n >= 2000:
        with multiprocessing.get_context("fork").Pool(len(tasks)) as pool:
            parts = pool.map(_build_chunk, tasks)
    else:
        parts = [_build_chunk(t) for t in tasks]
    prepared = Prepared([], [], 0, 0, groups)
    for requests, ids, wire, raw in parts:
        prepared.requests.extend(requests)
        prepared.event_ids.extend(ids)
        prepared.wire_bytes += wire
        prepared.envelope_bytes += raw
    return prepared
