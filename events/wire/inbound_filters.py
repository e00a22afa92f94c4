"""Inbound filters (per project): which events are dropped on arrival, and why.

Pure code, no Django. `Filters.request_reason` needs only the request (client IP, user
agent) and runs at the edge, before the body is read; `Filters.event_reason` needs the
event (message, release, browser, URL) and runs in the worker before grouping. A reason is
the filter's name as Sentry's outcomes name it ("web-crawlers", "ip-address"...); None
means the event passes.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from dataclasses import dataclass
from functools import cache

# Errors that browser extensions cause in pages they inject into: messages, then the
# script URLs of their frames (after the public lists SDK users paste into ignoreErrors).
_EXTENSION_MESSAGES = re.compile(
    r"top\.GLOBALS|originalCreateNotification|canvas\.contentDocument|MyApp_RemoveAllHighlights"
    r"|tt\.epicplay\.com|Can't find variable: ZiteReader|jigsaw is not defined"
    r"|ComboSearch is not defined|loading\.retry\.widdit\.com|atomicFindClose|fb_xd_fragment"
    r"|bmi_SafeAddOnload|EBCallBackMessageReceived|conduitPage|__gCrWeb"
    r"|_avast_submit|vid_mate_check is not defined|Non-Error promise rejection captured with value: Object Not Found Matching Id"
    r"|webkit-masked-url",
    re.IGNORECASE,
)
_EXTENSION_URLS = re.compile(
    r"^(chrome|chrome-extension|moz-extension|safari-extension|safari-web-extension"
    r"|ms-browser-extension|resource)://"
    r"|graph\.facebook\.com|connect\.facebook\.net|eatdifferent\.com\.woopra-ns\.com"
    r"|static\.woopra\.com/js/woopra\.js|webappstoolbarba\.texthelp\.com"
    r"|metrics\.itunes\.apple\.com\.edgesuite\.net|/extensions/",
    re.IGNORECASE,
)

# Browsers older than these majors count as legacy (Internet Explorer always does).
LEGACY_BELOW = {
    "IE": 1000, "IE Mobile": 1000, "Chrome": 80, "Chrome Mobile": 80, "Firefox": 78,
    "Firefox Mobile": 78, "Safari": 14, "Mobile Safari": 14, "Edge": 80, "Opera": 67,
    "Opera Mini": 8, "Android": 5,
}  # fmt: skip

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def compile_globs(text: str) -> re.Pattern | None:
    """One glob a line (`*` any text, `?` one character), case-insensitive; None if empty."""
    globs = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not globs:
        return None
    return re.compile("|".join(fnmatch.translate(g) for g in globs), re.IGNORECASE | re.DOTALL)


def parse_networks(text: str) -> tuple:
    """One address or CIDR range a line; raises ValueError naming a bad line."""
    networks = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            networks.append(ipaddress.ip_network(line, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR range: {line[:60]!r}") from None
    return tuple(networks)


@cache
def _crawlers() -> re.Pattern:
    # The community-kept list of crawler user agents, as one pattern compiled once.
    from crawleruseragents import CRAWLER_USER_AGENTS_DATA

    return re.compile("|".join(entry["pattern"] for entry in CRAWLER_USER_AGENTS_DATA))


def is_crawler(user_agent: str) -> bool:
    return bool(user_agent) and _crawlers().search(user_agent) is not None


def is_legacy_browser(user_agent: str) -> bool:
    if not user_agent:
        return False
    from ua_parser import parse_user_agent

    parsed = parse_user_agent(user_agent)
    if parsed is None or parsed.family not in LEGACY_BELOW:
        return False
    try:
        return int(parsed.major or 0) < LEGACY_BELOW[parsed.family]
    except ValueError:
        return False


def _in_networks(ip: str | None, networks: tuple) -> bool:
    if not ip or not networks:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in networks)


def _header(event: dict, name: str) -> str:
    headers = (event.get("request") or {}).get("headers") or ()
    if isinstance(headers, dict):
        headers = headers.items()
    for pair in headers:
        if isinstance(pair, list | tuple) and len(pair) == 2 and str(pair[0]).lower() == name:
            return str(pair[1])
    return ""


def _url_host(url: str) -> str:
    match = re.match(r"^[a-z][a-z0-9+.-]*://(\[[^\]]*\]|[^/:?#]*)", url or "", re.IGNORECASE)
    return match.group(1).lower() if match else ""


def _frame_urls(event: dict):
    for exc in (event.get("exception") or {}).get("values") or ():
        for frame in ((exc or {}).get("stacktrace") or {}).get("frames") or ():
            if isinstance(frame, dict):
                yield str(frame.get("abs_path") or frame.get("filename") or "")


def _messages(event: dict):
    logentry = event.get("logentry") or {}
    for text in (logentry.get("formatted"), logentry.get("message"), event.get("message")):
        if isinstance(text, str) and text:
            yield text
    for exc in (event.get("exception") or {}).get("values") or ():
        exc = exc or {}
        kind, value = exc.get("type"), exc.get("value")
        yield ": ".join(str(p) for p in (kind, value) if p)
        if value:
            yield str(value)


@dataclass(frozen=True)
class Filters:
    localhost: bool = False
    browser_extensions: bool = False
    legacy_browsers: bool = False
    web_crawlers: bool = False
    messages: re.Pattern | None = None
    releases: re.Pattern | None = None
    ip_ranges: tuple = ()

    @classmethod
    def build(cls, *, messages: str = "", releases: str = "", ip_ranges: str = "", **flags):
        """From a project's settings (lenient: a bad range line is skipped, forms check them)."""
        networks = []
        for line in (ip_ranges or "").splitlines():
            try:
                networks.extend(parse_networks(line))
            except ValueError:
                pass
        return cls(
            messages=compile_globs(messages),
            releases=compile_globs(releases),
            ip_ranges=tuple(networks),
            **flags,
        )

    @property
    def at_edge(self) -> bool:
        return self.web_crawlers or bool(self.ip_ranges)

    @property
    def in_worker(self) -> bool:
        return bool(
            self.localhost or self.browser_extensions or self.legacy_browsers
            or self.web_crawlers or self.messages or self.releases or self.ip_ranges
        )  # fmt: skip

    def request_reason(self, client_ip: str | None, user_agent: str) -> str | None:
        """At the edge: the sender's address and user agent."""
        if _in_networks(client_ip, self.ip_ranges):
            return "ip-address"
        # Only browser-like agents: SDK transports (curl, python-requests...) are no crawlers;
        # the event's own request headers are checked in the worker.
        if self.web_crawlers and user_agent.startswith("Mozilla/") and is_crawler(user_agent):
            return "web-crawlers"
        return None

    def event_reason(self, event: dict) -> str | None:
        """In the worker, on the normalized event, before grouping."""
        user_ip = (event.get("user") or {}).get("ip_address")
        if _in_networks(user_ip, self.ip_ranges):
            return "ip-address"
        if self.releases is not None and self.releases.match(str(event.get("release") or "")):
            return "release-version"
        if self.messages is not None and any(self.messages.match(m) for m in _messages(event)):
            return "error-message"
        url = str((event.get("request") or {}).get("url") or "")
        if self.localhost and (user_ip in _LOCAL_HOSTS or _url_host(url) in _LOCAL_HOSTS):
            return "localhost"
        if self.browser_extensions and (
            any(_EXTENSION_MESSAGES.search(m) for m in _messages(event))
            or any(_EXTENSION_URLS.search(u) for u in _frame_urls(event))
        ):
            return "browser-extensions"
        user_agent = _header(event, "user-agent")
        if self.web_crawlers and is_crawler(user_agent):
            return "web-crawlers"
        if self.legacy_browsers and is_legacy_browser(user_agent):
            return "legacy-browsers"
        return None
