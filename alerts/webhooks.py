"""Outgoing webhooks: the JSON body, and a POST that cannot be turned against us.

Guards: http(s) only; the host is resolved once and every address must be public (unless
ALERTS_WEBHOOK_ALLOW_PRIVATE), then the request goes to that very address, so a DNS answer
that changes between check and connect (rebinding) cannot reach an internal service; never
the app's own address (its admin); no redirects followed; a short timeout.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from django.conf import settings

USER_AGENT = "aggregator-alerts/1.0"
MAX_ERROR_BODY = 200  # bytes of an error answer kept for the delivery record


class Refused(Exception):
    """Permanent: the target is not allowed or answered in a way a retry cannot fix."""


class Transient(Exception):
    """Worth another try later: timeout, connection trouble, a 5xx or 429."""


def slack_escape(text: str) -> str:
    # Slack and Mattermost read <...> as links and mentions; event text must stay plain.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(*, issue, project, reason_label: str, rule_name: str, issue_url: str) -> dict:
    title = issue.title
    text = (
        f"[{project.slug}] {reason_label}: {slack_escape(title)}\n"
        f"{slack_escape(issue.culprit or '')} · {issue.level} · {issue.times_seen} events\n"
        f"{issue_url}"
    )
    return {
        "text": text,
        "reason": reason_label,
        "rule": rule_name,
        "project": {"id": project.pk, "slug": project.slug, "name": project.name},
        "issue": {
            "id": issue.pk,
            "title": title,
            "culprit": issue.culprit,
            "level": issue.level,
            "status": issue.status,
            "count": issue.times_seen,
            "first_seen": issue.first_seen.isoformat(),
            "last_seen": issue.last_seen.isoformat(),
            "first_release": issue.first_release or None,
            "last_release": issue.last_release or None,  # a regression's release
            "url": issue_url,
        },
    }


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int) -> list:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Transient(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def check_syntax(url: str) -> tuple:
    """The parts of an acceptable URL; raises Refused. No network access."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "http://[::1": a bracket never closed
        raise Refused("not a valid URL") from exc
    if parts.scheme not in ("http", "https"):
        raise Refused("only http and https webhook URLs are allowed")
    try:
        port = parts.port or _default_port(parts.scheme)
    except ValueError as exc:
        raise Refused("invalid port") from exc
    if not parts.hostname:
        raise Refused("the URL has no host")
    return parts, parts.hostname, port


def _own_address(host: str, port: int, addresses: list) -> bool:
    own = urlsplit(settings.BASE_URL)
    own_port = own.port or _default_port(own.scheme)
    if port != own_port or not own.hostname:
        return False
    if host.lower() == own.hostname.lower():
        return True
    try:
        own_addresses = set(_resolve(own.hostname, own_port))
    except Transient:
        return False
    return bool(own_addresses & set(addresses))


def resolve_target(url: str):
    """(parts, host, port, address to connect to); raises Refused or Transient."""
    parts, host, port = check_syntax(url)
    addresses = _resolve(host, port)
    if not addresses:
        raise Transient(f"{host} has no address")
    if _own_address(host, port, addresses):
        raise Refused("the webhook points at this app itself")
    if not settings.ALERTS_WEBHOOK_ALLOW_PRIVATE and not all(_public(a) for a in addresses):
        raise Refused(f"{host} resolves to a private, loopback or reserved address")
    return parts, host, port, addresses[0]


def _read_some(response: httpx.Response, limit: int) -> bytes:
    """The start of a body, never the whole of what a hostile server may send."""
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= limit:
            break
    return data[:limit]


def post(url: str, body: dict) -> int:
    """POST the JSON body; returns the status code of a 2xx answer, raises otherwise."""
    parts, host, port, address = resolve_target(url)
    ip_host = f"[{address}]" if address.version == 6 else str(address)
    pinned = urlunsplit((parts.scheme, f"{ip_host}:{port}", parts.path or "/", parts.query, ""))
    name = f"[{host}]" if ":" in host else host  # an IPv6 literal
    host_header = name if port == _default_port(parts.scheme) else f"{name}:{port}"
    auth = (parts.username, parts.password or "") if parts.username else None
    try:
        with httpx.Client(
            timeout=settings.ALERTS_WEBHOOK_TIMEOUT, follow_redirects=False, trust_env=False
        ) as client:
            with client.stream(
                "POST",
                pinned,
                content=orjson.dumps(body),
                auth=auth,
                headers={"Host": host_header, "Content-Type": "application/json",
                         "User-Agent": USER_AGENT},
                # TLS still checks the certificate against the name, not the address.
                extensions={"sni_hostname": host} if parts.scheme == "https" else {},
            ) as response:  # fmt: skip
                status = response.status_code
                head = b"" if 200 <= status < 300 else _read_some(response, MAX_ERROR_BODY)
    except httpx.TimeoutException as exc:
        raise Transient(f"timed out after {settings.ALERTS_WEBHOOK_TIMEOUT} s") from exc
    except httpx.HTTPError as exc:
        raise Transient(f"{type(exc).__name__}: {exc}") from exc
    if 200 <= status < 300:
        return status
    detail = f"HTTP {status}: {head.decode('utf-8', 'replace')}".strip()
    if status >= 500 or status == 429:
        raise Transient(detail)
    if 300 <= status < 400:
        raise Refused(
            f"HTTP {status}: redirect to {response.headers.get('location', '?')[:200]} not followed"
        )
    raise Refused(detail)
