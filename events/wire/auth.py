"""Who sends a payload: the key in a request's headers or query string (§2), and DSNs (§1).

Pure functions (no Django); section numbers are those of docs/protocols.md.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .refusal import Refusal

_MAX_VERSION = 7
_MISSING_AUTH = "missing authorization information"
_QUERY_AUTH_FIELDS = ("sentry_key", "sentry_version", "sentry_client", "sentry_secret")


# --- The key in a request (§2)
@dataclass(frozen=True, slots=True)
class Auth:
    public_key: str
    secret_key: str | None
    version: int
    client: str | None


def parse_auth_header(value: str) -> dict[str, str]:
    """Parse `Sentry sentry_key=abc, sentry_version=7` into its fields."""
    value = value.strip()
    if value[:6].lower() != "sentry" or value[6:7] not in ("", " ", "\t"):
        raise Refusal("bad_auth", _MISSING_AUTH)
    fields = {}
    for part in value[6:].split(","):
        key, eq, val = part.partition("=")
        if eq:
            fields[key.strip()] = val.strip()
    return fields


def _basic_auth(credentials: str) -> dict[str, str]:
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError are both ValueErrors
        raise Refusal("bad_auth", _MISSING_AUTH) from None
    return {"sentry_key": decoded.partition(":")[0]}


def _parse_version(raw: str | None) -> int:
    if not raw:
        return _MAX_VERSION
    major = raw.partition(".")[0].strip()
    if not (major.isascii() and major.isdigit()):
        raise Refusal("bad_version", f"invalid protocol version ({raw[:20]})")
    if len(major) > 3 or int(major) > _MAX_VERSION:
        raise Refusal("bad_version", f"unsupported protocol version ({major[:20]})")
    return int(major)


def extract_auth(headers: Mapping[str, str], query: Mapping[str, str]) -> Auth | None:
    """Find the client key in headers / query string; None when the request carries none."""
    lowered = {key.lower(): value for key, value in headers.items()}
    sources = []
    if (value := lowered.get("x-sentry-auth")) is not None:
        sources.append(parse_auth_header(value))
    if value := lowered.get("authorization"):
        scheme, _, rest = value.strip().partition(" ")
        if scheme.lower() == "sentry":
            sources.append(parse_auth_header(value))
        elif scheme.lower() == "basic":
            sources.append(_basic_auth(rest))
    if "sentry_key" in query:
        sources.append({k: query[k] for k in _QUERY_AUTH_FIELDS if k in query})
    if not sources:
        return None
    fields = sources[0]
    key = fields.get("sentry_key", "")
    for other in sources:
        if not other.get("sentry_key"):
            raise Refusal("missing_auth", _MISSING_AUTH)
        if other["sentry_key"] != key:
            raise Refusal("bad_auth", "multiple authorization payloads detected")
    return Auth(
        public_key=key,
        secret_key=fields.get("sentry_secret") or None,
        version=_parse_version(fields.get("sentry_version")),
        client=fields.get("sentry_client") or lowered.get("user-agent") or None,
    )


# --- DSN (§1)
@dataclass(frozen=True, slots=True)
class Dsn:
    public_key: str
    secret_key: str | None
    scheme: str
    host: str  # including ":port" when given
    path_prefix: str  # "" or "/sub/path"
    project_id: int


def parse_dsn(dsn: str) -> Dsn:
    """Parse `{scheme}://{key}[:{secret}]@{host}[:{port}][/{prefix}]/{project_id}`."""
    if not isinstance(dsn, str):
        raise Refusal("bad_dsn", "invalid DSN: not a string")
    try:
        parts = urlsplit(dsn.strip())
        port = parts.port
    except ValueError as exc:
        raise Refusal("bad_dsn", f"invalid DSN: {exc}") from None
    scheme = parts.scheme.rpartition("+")[2].lower()  # legacy raven "threaded+https"
    if scheme not in ("http", "https", "udp"):
        raise Refusal("bad_dsn", "invalid DSN: unsupported scheme")
    if not parts.username:
        raise Refusal("bad_dsn", "invalid DSN: missing public key")
    host = parts.netloc.rpartition("@")[2]
    if not parts.hostname:
        raise Refusal("bad_dsn", "invalid DSN: missing host")
    if scheme == "udp" and port is None:
        raise Refusal("bad_dsn", "invalid DSN: udp requires a port")
    path = parts.path[:-1] if parts.path.endswith("/") else parts.path
    prefix, _, project = path.rpartition("/")
    if not (project.isascii() and project.isdigit()) or len(project) > 18:
        raise Refusal("bad_dsn", "invalid DSN: project id must be an integer")
    return Dsn(parts.username, parts.password or None, scheme, host, prefix, int(project))
