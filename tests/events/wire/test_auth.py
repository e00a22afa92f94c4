"""The key in a request (auth headers, query string, Basic) and DSNs: events/wire/auth.py."""

import base64

import pytest

from events.wire.auth import Auth, Dsn, extract_auth, parse_auth_header, parse_dsn
from tests.support.wire import CaseInsensitiveHeaders, raises

pytestmark = pytest.mark.one_pass

# --- parse_auth_header -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Sentry sentry_key=abc, sentry_version=7", {"sentry_key": "abc", "sentry_version": "7"}),
        ("sentry sentry_key=abc", {"sentry_key": "abc"}),
        (
            "SENTRY   sentry_key = abc ,sentry_client=raven/1.0 ",
            {
                "sentry_key": "abc",
                "sentry_client": "raven/1.0",
            },
        ),
        ("Sentry sentry_key=a=b, junk, other=1", {"sentry_key": "a=b", "other": "1"}),
        (
            "Sentry sentry_timestamp=1795773185.06, sentry_client=raven-python/6.10.0, "
            "sentry_version=6, sentry_key=pub, sentry_secret=secret",
            {
                "sentry_timestamp": "1795773185.06",
                "sentry_client": "raven-python/6.10.0",
                "sentry_version": "6",
                "sentry_key": "pub",
                "sentry_secret": "secret",
            },
        ),
        ("Sentry", {}),
    ],
)
def test_parse_auth_header(value, expected):
    assert parse_auth_header(value) == expected


@pytest.mark.parametrize("value", ["", "Bearer abc", "Sentrysentry_key=abc", "sentry_key=abc"])
def test_parse_auth_header_rejects_non_sentry(value):
    with raises(401, "missing authorization information"):
        parse_auth_header(value)


# --- extract_auth ----------------------------------------------------------------------

HEADER = "Sentry sentry_key=abc, sentry_version=7, sentry_client=sentry.python/2.75.0"


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


@pytest.mark.parametrize(
    "headers, query, expected",
    [
        ({"X-Sentry-Auth": HEADER}, {}, Auth("abc", None, 7, "sentry.python/2.75.0")),
        ({"x-sentry-auth": HEADER}, {}, Auth("abc", None, 7, "sentry.python/2.75.0")),
        ({"X-SENTRY-AUTH": HEADER}, {}, Auth("abc", None, 7, "sentry.python/2.75.0")),
        ({"Authorization": HEADER}, {}, Auth("abc", None, 7, "sentry.python/2.75.0")),
        ({"authorization": basic("abc:whatever")}, {}, Auth("abc", None, 7, None)),
        ({"Authorization": basic("abc")}, {}, Auth("abc", None, 7, None)),
        (
            {},
            {
                "sentry_key": "abc",
                "sentry_version": "7",
                "sentry_client": "sentry.javascript.node/8",
            },
            Auth("abc", None, 7, "sentry.javascript.node/8"),
        ),
        ({}, {"sentry_key": "abc", "sentry_secret": "s"}, Auth("abc", "s", 7, None)),
        (
            {"X-Sentry-Auth": "Sentry sentry_key=pub, sentry_secret=sec, sentry_version=2.0"},
            {},
            Auth("pub", "sec", 2, None),
        ),
        (
            {"X-Sentry-Auth": "Sentry sentry_key=abc", "User-Agent": "raven-python/6.10.0"},
            {},
            Auth("abc", None, 7, "raven-python/6.10.0"),
        ),
        (  # sentry_client wins over User-Agent
            {"X-Sentry-Auth": HEADER, "user-agent": "curl/8"},
            {},
            Auth("abc", None, 7, "sentry.python/2.75.0"),
        ),
        (  # the same key from two sources is fine; the first source's fields win
            {"X-Sentry-Auth": HEADER},
            {"sentry_key": "abc", "sentry_version": "6"},
            Auth("abc", None, 7, "sentry.python/2.75.0"),
        ),
        (
            {"X-Sentry-Auth": HEADER, "Authorization": basic("abc:x")},
            {},
            Auth("abc", None, 7, "sentry.python/2.75.0"),
        ),
        (  # non-Sentry Authorization schemes are not an auth source
            {"X-Sentry-Auth": HEADER, "Authorization": "Bearer zzz"},
            {},
            Auth("abc", None, 7, "sentry.python/2.75.0"),
        ),
    ],
)
def test_extract_auth_sources(headers, query, expected):
    assert extract_auth(headers, query) == expected
    assert extract_auth(CaseInsensitiveHeaders(headers), query) == expected


def test_extract_auth_accepts_django_request_headers():
    from django.http.request import HttpHeaders

    headers = HttpHeaders({"HTTP_X_SENTRY_AUTH": HEADER, "HTTP_USER_AGENT": "ua"})
    assert extract_auth(headers, {}) == Auth("abc", None, 7, "sentry.python/2.75.0")


@pytest.mark.parametrize(
    "headers, query",
    [
        ({}, {}),
        ({"User-Agent": "sentry.python/2.75.0", "Content-Type": "application/json"}, {}),
        ({"Authorization": "Bearer token"}, {}),
        ({}, {"sentry_version": "7", "sentry_client": "x"}),  # no sentry_key: not a source
    ],
)
def test_extract_auth_none_without_source(headers, query):
    assert extract_auth(headers, query) is None


@pytest.mark.parametrize(
    "headers, query, detail",
    [
        ({"X-Sentry-Auth": HEADER}, {"sentry_key": "other"}, "multiple authorization"),
        ({"X-Sentry-Auth": HEADER, "Authorization": basic("other:x")}, {}, "multiple"),
        ({"X-Sentry-Auth": HEADER, "Authorization": "Sentry sentry_key=zz"}, {}, "multiple"),
        ({"Authorization": basic("abc:x")}, {"sentry_key": "def"}, "multiple"),
        ({"X-Sentry-Auth": "Sentry sentry_key="}, {}, "missing authorization"),
        ({"X-Sentry-Auth": "Sentry sentry_version=7"}, {}, "missing authorization"),
        ({"X-Sentry-Auth": ""}, {}, "missing authorization"),
        ({"X-Sentry-Auth": "Bearer abc"}, {}, "missing authorization"),
        ({"Authorization": "Basic !!!not-base64"}, {}, "missing authorization"),
        ({"Authorization": basic(":nokey")}, {}, "missing authorization"),
        ({}, {"sentry_key": ""}, "missing authorization"),
        ({"X-Sentry-Auth": HEADER}, {"sentry_key": ""}, "missing authorization"),
    ],
)
def test_extract_auth_401(headers, query, detail):
    with raises(401, detail):
        extract_auth(headers, query)


@pytest.mark.parametrize(
    "version, expected",
    [("2.0", 2), ("6", 6), ("7", 7), ("7.0", 7), (" 5 ", 5), (None, 7), ("", 7)],
)
def test_extract_auth_version(version, expected):
    query = {"sentry_key": "k"} | ({} if version is None else {"sentry_version": version})
    assert extract_auth({}, query).version == expected
    header = "Sentry sentry_key=k" + ("" if version is None else f", sentry_version={version}")
    assert extract_auth({"X-Sentry-Auth": header}, {}).version == expected


@pytest.mark.parametrize(
    "version, detail",
    [
        ("8", "unsupported protocol version (8)"),
        ("8.0", "unsupported protocol version (8)"),
        ("99999999999999999999999", "unsupported protocol version"),
        ("x", "invalid protocol version"),
        ("-1", "invalid protocol version"),
        (".7", "invalid protocol version"),
        ("٧", "invalid protocol version"),  # a non-ASCII digit
    ],
)
def test_extract_auth_bad_version(version, detail):
    with raises(400, detail):
        extract_auth({}, {"sentry_key": "k", "sentry_version": version})


# --- parse_dsn -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dsn, expected",
    [
        (
            "https://abc@o1.ingest.example.com/42",
            Dsn("abc", None, "https", "o1.ingest.example.com", "", 42),
        ),
        ("http://pub:sec@localhost:9000/7", Dsn("pub", "sec", "http", "localhost:9000", "", 7)),
        ("http://k@h:9000/sub/path/43", Dsn("k", None, "http", "h:9000", "/sub/path", 43)),
        ("https://k@h/prefix/5/", Dsn("k", None, "https", "h", "/prefix", 5)),
        ("  https://k:@h/5  ", Dsn("k", None, "https", "h", "", 5)),
        ("threaded+https://pub:sec@h/3", Dsn("pub", "sec", "https", "h", "", 3)),
        ("sync+http://pub@h/3", Dsn("pub", None, "http", "h", "", 3)),
        (
            "udp://public:secret@127.0.0.1:9001/2",
            Dsn("public", "secret", "udp", "127.0.0.1:9001", "", 2),
        ),
        ("https://k@[::1]:8000/9", Dsn("k", None, "https", "[::1]:8000", "", 9)),
        ("HTTPS://k@h/1?timeout=3", Dsn("k", None, "https", "h", "", 1)),
    ],
)
def test_parse_dsn(dsn, expected):
    assert parse_dsn(dsn) == expected


@pytest.mark.parametrize(
    "dsn",
    [
        "",
        "not a dsn",
        "ftp://k@h/1",
        "https://h/1",  # no public key
        "https://:secret@h/1",
        "https://k@/1",  # no host
        "https://k@h",  # no project id
        "https://k@h/",
        "https://k@h/abc",
        "https://k@h/1.5",
        "https://k@h/-1",
        "https://k@h/99999999999999999999999",
        "https://k@h:notaport/1",
        "https://k@h:99999/1",
        "https://k@[::1/1",
        "udp://pub:sec@h/1",  # raven's UDP transport needs an explicit port
        None,
    ],
)
def test_parse_dsn_rejects(dsn):
    with raises(400, "invalid DSN"):
        parse_dsn(dsn)
