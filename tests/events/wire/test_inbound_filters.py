"""The inbound filters as pure functions: each on both sides of its rule."""

import pytest

from events.wire.inbound_filters import Filters, compile_globs, parse_networks
from tests.support.payloads import python_error

pytestmark = pytest.mark.one_pass

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
IE9 = "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)"
OLD_CHROME = (
    "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/49.0.2623.112 Safari/537.36"
)


def with_request(url="https://shop.example.com/cart", user_agent=CHROME, **extra):
    return python_error(request={"url": url, "headers": [["User-Agent", user_agent]]}, **extra)


def extension_error():
    event = python_error(type_="TypeError", value="x is undefined")
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    frames[-1]["abs_path"] = "chrome-extension://abcdefgh/content.js"
    return event


# (filter settings, an event it drops, an event it keeps, the reason)
CASES = [
    ({"localhost": True}, with_request(url="http://localhost:8000/cart"), with_request(),
     "localhost"),
    ({"localhost": True}, python_error(user={"ip_address": "127.0.0.1"}),
     python_error(user={"ip_address": "203.0.113.9"}), "localhost"),
    ({"browser_extensions": True}, extension_error(), python_error(), "browser-extensions"),
    ({"browser_extensions": True}, python_error(type_="Error", value="top.GLOBALS is null"),
     python_error(type_="Error", value="GLOBALS are fine"), "browser-extensions"),
    ({"legacy_browsers": True}, with_request(user_agent=IE9), with_request(), "legacy-browsers"),
    ({"legacy_browsers": True}, with_request(user_agent=OLD_CHROME), with_request(),
     "legacy-browsers"),
    ({"web_crawlers": True}, with_request(user_agent=GOOGLEBOT), with_request(), "web-crawlers"),
    ({"messages": "*database timeout*\nConnectionResetError*"},
     python_error(type_="OperationalError", value="database timeout after 30s"),
     python_error(type_="OperationalError", value="database is locked"), "error-message"),
    ({"messages": "ConnectionResetError*"}, python_error(type_="ConnectionResetError", value="x"),
     python_error(type_="ConnectionError", value="x"), "error-message"),
    ({"releases": "*-beta\n1.0.?"}, python_error(release="2.0-beta"),
     python_error(release="2.0"), "release-version"),
    ({"releases": "1.0.?"}, python_error(release="1.0.7"), python_error(release="1.0.17"),
     "release-version"),
    ({"ip_ranges": "10.0.0.0/8\n2001:db8::/32"}, python_error(user={"ip_address": "10.1.2.3"}),
     python_error(user={"ip_address": "11.1.2.3"}), "ip-address"),
    ({"ip_ranges": "2001:db8::/32"}, python_error(user={"ip_address": "2001:db8::1"}),
     python_error(user={"ip_address": "2001:db9::1"}), "ip-address"),
]  # fmt: skip


@pytest.mark.parametrize("settings, dropped, kept, reason", CASES)
def test_event_filters_on_both_sides(settings, dropped, kept, reason):
    filters = Filters.build(**settings)
    assert filters.event_reason(dropped) == reason
    assert filters.event_reason(kept) is None
    assert Filters().event_reason(dropped) is None  # off: nothing is filtered


def test_request_filters_on_both_sides():
    filters = Filters.build(web_crawlers=True, ip_ranges="192.0.2.0/24")
    assert filters.at_edge
    assert filters.request_reason("192.0.2.77", CHROME) == "ip-address"
    assert filters.request_reason("192.0.3.77", CHROME) is None
    assert filters.request_reason("198.51.100.1", GOOGLEBOT) == "web-crawlers"
    # SDK transports are not crawlers at the edge (the event's own agent is checked later)
    assert filters.request_reason("198.51.100.1", "python-requests/2.31") is None
    assert filters.request_reason(None, "") is None
    assert not Filters.build(messages="x*").at_edge


def test_globs_and_networks_parse_strictly():
    assert compile_globs("") is None and compile_globs("\n  \n") is None
    assert compile_globs("a*b").match("A-long-B")  # case-insensitive, whole text
    assert not compile_globs("a*b").match("a-long-bc")
    assert len(parse_networks("10.0.0.0/8\n\n::1\n")) == 2
    with pytest.raises(ValueError, match="not-an-ip"):
        parse_networks("10.0.0.0/8\nnot-an-ip")
