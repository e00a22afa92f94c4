import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.processing.scrub import (
    FILTERED,
    is_sensitive_key,
    scrub_and_survey,
    scrub_event,
    scrub_string,
)
from tests.support.payloads import FIXTURES

pytestmark = pytest.mark.one_pass


def with_check_digit(body: str) -> str:
    """Append the Luhn check digit (independent of the implementation under test)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


VISA = "4111111111111111"
AMEX = "378282246310005"
VISA13 = with_check_digit("422222222222")
LONG19 = with_check_digit("622222222222222222")


# --- the key rule ---------------------------------------------------------------------------

SENSITIVE_KEYS = [
    "password", "Password", "user_password", "PASSWORD_CONFIRM", "passwd", "pwd", "MYSQL_PWD",
    "pwdHash", "secret", "client_secret", "SECRET_KEY", "secretToken", "api_key", "apikey",
    "apiKey", "api-key", "X-Api-Key", "access_token", "accessToken", "accesstoken", "auth_token",
    "authtoken", "token", "refresh_token", "id_token", "X-Auth-Token", "authorization",
    "Authorization", "Proxy-Authorization", "HTTP_AUTHORIZATION", "auth", "AUTH", "X-Auth",
    "basic_auth", "authKey", "credentials", "aws_credential", "cookie", "Cookie", "cookies",
    "Set-Cookie", "HTTP_COOKIE", "session", "sessionid", "session_id", "sessionKey", "PHPSESSID",
    "JSESSIONID", "csrf", "csrftoken", "X-CSRFToken", "csrfmiddlewaretoken", "xsrf",
    "X-XSRF-TOKEN", "private_key", "privateKey", "private-key", "stripetoken", "stripeToken",
]  # fmt: skip

HARMLESS_KEYS = [
    "author", "Author", "authors", "author_id", "authority", ":authority", "authenticated",
    "oauth_provider", "tokenizer", "max_tokens", "prompt_tokens", "sessions", "user_id",
    "username", "email", "name", "id", "path", "category", "message", "passport", "bypass",
    "compass", "keyboard", "key", "monkey", "url", "method", "Content-Type", "User-Agent",
    "status_code", "", "ids",
]  # fmt: skip


@pytest.mark.parametrize("key", SENSITIVE_KEYS)
def test_sensitive_keys(key):
    assert is_sensitive_key(key)
    event = scrub_event({"extra": {key: "hunter2", "other": "kept"}})
    assert event["extra"] == {key: FILTERED, "other": "kept"}


@pytest.mark.parametrize("key", HARMLESS_KEYS)
def test_harmless_keys(key):
    assert not is_sensitive_key(key)
    assert scrub_event({"extra": {key: "plain"}})["extra"] == {key: "plain"}


@pytest.mark.parametrize(
    "value",
    [{"nested": "x"}, ["a", "b"], 42, True, "", "x" * 50],
)
def test_sensitive_key_filters_any_value_type(value):
    assert scrub_event({"extra": {"password": value}})["extra"]["password"] == FILTERED


def test_none_stays_none():
    assert scrub_event({"extra": {"password": None}})["extra"]["password"] is None


# --- request --------------------------------------------------------------------------------


def scrub_request(request: dict) -> dict:
    return scrub_event({"request": request})["request"]


def test_header_pairs():
    headers = [
        ["Authorization", "Bearer abc.def"],
        ["Proxy-Authorization", "Basic eA=="],
        ["Content-Type", "application/json"],
        ["X-Api-Key", "k"],
        ["Cookie", "a=b; sessionid=c"],
        ["Host", "example.invalid"],
    ]
    assert scrub_request({"headers": headers})["headers"] == [
        ["Authorization", FILTERED],
        ["Proxy-Authorization", FILTERED],
        ["Content-Type", "application/json"],
        ["X-Api-Key", FILTERED],
        ["Cookie", FILTERED],
        ["Host", "example.invalid"],
    ]


def test_header_dict():
    headers = {"authorization": "Bearer x", "accept": "*/*"}
    assert scrub_request({"headers": headers})["headers"] == {
        "authorization": FILTERED,
        "accept": "*/*",
    }


@pytest.mark.parametrize(
    "cookies",
    ["sessionid=abc; theme=dark", {"sessionid": "abc", "theme": "dark"}, [["theme", "dark"]]],
)
def test_cookies_filtered_entirely(cookies):
    assert scrub_request({"cookies": cookies})["cookies"] == FILTERED


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a=1&token=abc&b=2", f"a=1&token={FILTERED}&b=2"),
        ("password=x", f"password={FILTERED}"),
        ("api%5Fkey=x&q=search+term", f"api%5Fkey={FILTERED}&q=search+term"),
        ("flag&q=1", "flag&q=1"),
        ("author=bob&page=2", "author=bob&page=2"),
        (f"card={VISA}", f"card={FILTERED}"),
        ("", ""),
    ],
)
def test_query_string_text(query, expected):
    assert scrub_request({"query_string": query})["query_string"] == expected


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"headers": [["Authorization", "x"]]}, {"headers": [["Authorization", FILTERED]]}),
        ({"fields": ["password", "email"]}, {"fields": ["password", "email"]}),  # not a pair
        (
            {"rows": [["password", "email"], ["a", "b"]]},
            {"rows": [["password", FILTERED], ["a", "b"]]},
        ),
    ],
)
def test_pairs_only_inside_lists(extra, expected):
    assert scrub_event({"extra": extra})["extra"] == expected


def test_query_string_dict_and_pairs():
    got = scrub_request({"query_string": {"token": "x", "q": "y"}})["query_string"]
    assert got == {"token": FILTERED, "q": "y"}
    got = scrub_request({"query_string": [["token", "x"], ["q", "y"]]})["query_string"]
    assert got == [["token", FILTERED], ["q", "y"]]


def test_url_credentials_and_query():
    url = "https://bob:s3cret@db.example.invalid/p?access_token=abc&x=1"
    got = scrub_request({"url": url})["url"]
    assert got == f"https://bob:{FILTERED}@db.example.invalid/p?access_token={FILTERED}&x=1"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"password": "x", "nested": {"api_key": 1, "ok": [1, 2]}},
            {"password": FILTERED, "nested": {"api_key": FILTERED, "ok": [1, 2]}},
        ),
        ('{"password": "x", "q": 1}', json.dumps({"password": FILTERED, "q": 1})),
        ('[{"token": "t"}]', json.dumps([{"token": FILTERED}])),
        ('{"q": 1}', '{"q": 1}'),  # untouched bodies keep their exact text
        ("user=bob&password=x", f"user=bob&password={FILTERED}"),
        ("{not json password=x", f"{{not json password={FILTERED}"),
        (f"card {VISA} here", f"card {FILTERED} here"),
        ("plain text body", "plain text body"),
        ([["token", "x"], ["q", "y"]], [["token", FILTERED], ["q", "y"]]),
        (42, 42),
    ],
)
def test_request_data(data, expected):
    assert scrub_request({"data": data})["data"] == expected


def test_request_env():
    env = {"HTTP_AUTHORIZATION": "x", "REMOTE_ADDR": "10.0.0.1", "HTTP_COOKIE": "a=b"}
    assert scrub_request({"env": env})["env"] == {
        "HTTP_AUTHORIZATION": FILTERED,
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_COOKIE": FILTERED,
    }


# --- frames, breadcrumbs, user and friends --------------------------------------------------


def frame(vars_):
    return {"function": "f", "lineno": 1, "context_line": "password = x", "vars": vars_}


def test_frame_vars_in_chained_exceptions_and_threads():
    event = {
        "exception": {
            "values": [
                {"type": "A", "value": f"card {VISA}", "stacktrace": {"frames": [frame({})]}},
                {
                    "type": "B",
                    "value": "plain",
                    "stacktrace": {
                        "frames": [
                            frame({"password": "'x'", "ok": "'y'"}),
                            frame({"payload": {"secret": "'s'", "cart": "'c'"}}),
                        ]
                    },
                },
            ]
        },
        "threads": {"values": [{"id": 1, "stacktrace": {"frames": [frame({"token": "t"})]}}]},
    }
    scrub_event(event)
    first, second = event["exception"]["values"]
    assert first["value"] == f"card {FILTERED}"
    assert second["value"] == "plain"
    frames = second["stacktrace"]["frames"]
    assert frames[0]["vars"] == {"password": FILTERED, "ok": "'y'"}
    assert frames[0]["context_line"] == "password = x"  # source code is not scrubbed
    assert frames[1]["vars"] == {"payload": {"secret": FILTERED, "cart": "'c'"}}
    assert event["threads"]["values"][0]["stacktrace"]["frames"][0]["vars"] == {"token": FILTERED}


def test_breadcrumbs():
    crumbs = {
        "values": [
            {"message": f"paid with {VISA}", "data": {"Authorization": "x", "n": 1}},
            {"category": "http", "data": {"url": "ftp://u:pw@files.invalid/x"}},
        ]
    }
    got = scrub_event({"breadcrumbs": crumbs})["breadcrumbs"]["values"]
    assert got[0] == {
        "message": f"paid with {FILTERED}",
        "data": {"Authorization": FILTERED, "n": 1},
    }
    assert got[1]["data"]["url"] == f"ftp://u:{FILTERED}@files.invalid/x"


def test_user_counting_fields_are_kept():
    user = {
        "id": VISA,  # numeric ids may well pass Luhn
        "email": "a@example.invalid",
        "username": "bob",
        "ip_address": "10.0.0.1",
        "name": "Bob",
        "password": "x",
        "data": {"api_key": "k", "note": f"card {VISA}"},
    }
    got = scrub_event({"user": user})["user"]
    assert got == {
        **user,
        "password": FILTERED,
        "data": {"api_key": FILTERED, "note": f"card {FILTERED}"},
    }


def test_messages_contexts_extra():
    event = {
        "logentry": {"message": "pay %s", "formatted": f"pay {VISA}", "params": [VISA]},
        "message": f"also {AMEX}",
        "contexts": {"db": {"dsn": "postgres://app:pw@db/app", "password": "x"}},
        "extra": {"list": [f"{VISA}", {"token": "t"}]},
    }
    scrub_event(event)
    assert event["logentry"] == {
        "message": "pay %s",
        "formatted": f"pay {FILTERED}",
        "params": [FILTERED],
    }
    assert event["message"] == f"also {FILTERED}"
    assert event["contexts"]["db"] == {
        "dsn": f"postgres://app:{FILTERED}@db/app",
        "password": FILTERED,
    }
    assert event["extra"]["list"] == [FILTERED, {"token": FILTERED}]


def test_sections_left_alone():
    event = {
        "sdk": {"name": "sentry.python", "token": "t", "note": VISA},
        "tags": [["token", "t"], ["card", VISA]],
        "modules": {"password-validator": "1.0"},
        "fingerprint": [VISA],
    }
    assert scrub_event(copy.deepcopy(event)) == event


# --- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (VISA, FILTERED),
        ("4111 1111 1111 1111", FILTERED),
        ("4111-1111-1111-1111", FILTERED),
        (AMEX, FILTERED),
        ("3782 822463 10005", FILTERED),
        (VISA13, FILTERED),
        (LONG19, FILTERED),
        (f"paid with {VISA}.", f"paid with {FILTERED}."),
        (f"cards {VISA}, {AMEX}", f"cards {FILTERED}, {FILTERED}"),
        ("card 4111 1111 1111 1111 exp 2026", f"card {FILTERED} exp 2026"),
        (f"qty 12 {VISA}", f"qty 12 {FILTERED}"),
        ("4111111111111112", "4111111111111112"),  # Luhn fails
        ("4111 1111 1111 1112", "4111 1111 1111 1112"),
        ("411111111111", "411111111111"),  # 12 digits
        (VISA + "0000", VISA + "0000"),  # 20 digits: not a card
        ("x" + VISA + "1", "x" + VISA + "1"),
        ("4111  1111 1111 1111", "4111  1111 1111 1111"),  # double separator splits it
        ("2026-11-27T09:54:15.227325Z", "2026-11-27T09:54:15.227325Z"),
        ("0x7fc30fd69210 b7d1413118654aa396d02293af648b8e", None),
    ],
)
def test_card_numbers(text, expected):
    expected = text if expected is None else expected
    assert scrub_string(text) == expected
    assert scrub_event({"extra": {"v": text}})["extra"]["v"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://bob:s3cret@host.invalid/x", f"https://bob:{FILTERED}@host.invalid/x"),
        ("redis://:pw@cache:6379/0", f"redis://:{FILTERED}@cache:6379/0"),
        ("see mysql://root:toor@db and more", f"see mysql://root:{FILTERED}@db and more"),
        ("http://key@sentry.invalid/1", "http://key@sentry.invalid/1"),  # DSN: no password
        ("http://host.invalid:8080/a@b", "http://host.invalid:8080/a@b"),
        ("mail bob@example.invalid", "mail bob@example.invalid"),
    ],
)
def test_url_credentials(text, expected):
    assert scrub_string(text) == expected
    assert scrub_event({"contexts": {"c": {"v": text}}})["contexts"]["c"]["v"] == expected


def test_clean_event_is_unchanged():
    with open(FIXTURES / "sentry_python_envelope.json") as f:
        event = json.load(f)["event"]
    assert scrub_event(copy.deepcopy(event)) == event


def test_hostile_digit_runs_are_cheap():
    # Bounded work: these must not take seconds.
    assert scrub_string("1 " * 200_000) == "1 " * 200_000
    assert scrub_string((VISA + " ") * 1000).count(FILTERED) == 1000


@pytest.mark.parametrize("event", [None, [], "x", 1, {"request": "x"}, {"exception": [1]}])
def test_odd_shapes(event):
    assert scrub_event(event) == event


def test_deep_nesting_does_not_recurse():
    value = [{"password": "x"}]
    for _ in range(100_000):
        value = [value]
    body = "[" * 100_000 + "]" * 100_000
    event = scrub_event({"extra": {"deep": value}, "request": {"data": body}})
    assert event["request"]["data"] == body
    while type(value[0]) is list:
        value = value[0]
    assert value == [{"password": FILTERED}]


# --- never raises ---------------------------------------------------------------------------

KEYS = st.sampled_from(
    ["extra", "contexts", "request", "user", "breadcrumbs", "values", "exception", "threads",
     "stacktrace", "frames", "vars", "data", "headers", "cookies", "query_string", "url",
     "password", "token", "id", "message", "logentry", "value", "env", "params"]
) | st.text(max_size=12)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=40)
    | st.sampled_from([VISA, "4111 1111 1111 1111", "a=1&token=x", '{"password": 1}', "u://a:b@c"])
)
JSONISH = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, JSONISH, max_size=8))
def test_never_raises_and_stays_serializable(event):
    out = scrub_event(event)
    assert out is event
    json.dumps(out, allow_nan=True)


def test_millisecond_timestamps_are_not_taken_for_cards():
    # 1795773185065 passes Luhn, but no card number starts with 1
    assert scrub_string("at 1795773185065 ms") == "at 1795773185065 ms"
    assert scrub_string("at 4795773185062 ms") == "at [Filtered] ms"  # the same shape from a 4 does


# --- the survey for trim ----------------------------------------------------------------------


def _strings_and_keys(value) -> tuple[int, int]:
    """(chars of every string and key, containers plus their entries), by a plain walk."""
    if type(value) is str:
        return len(value), 0
    if type(value) is dict:
        parts = [_strings_and_keys(v) for v in value.values()]
        return sum(map(len, value)) + sum(c for c, _ in parts), 1 + len(value) + sum(
            e for _, e in parts
        )
    if type(value) is list:
        parts = [_strings_and_keys(v) for v in value]
        return sum(c for c, _ in parts), 1 + len(value) + sum(e for _, e in parts)
    return 0, 0


def test_survey_describes_what_scrubbing_walked():
    event = {
        "extra": {"a": {"b": {"c": "deep"}}, "n": 1},
        "contexts": {"os": {"name": "Linux", "version": "6.1"}},
        "breadcrumbs": {"values": [{"message": "hi", "data": {"k": ["x", "yy"]}}]},
        "exception": {"values": [{"type": "E", "value": "v", "stacktrace": {"frames": [
            {"function": "f", "vars": {"x": "1", "items": ["a", "b", "c"]}},
        ]}}]},
        "modules": {"django": "5.2"},  # not scrubbed: not surveyed
    }  # fmt: skip
    survey = scrub_and_survey(event)
    assert survey is not None
    vars_ = event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    levels = {id(v): n for v, n in survey.subtrees.values()}
    assert levels == {
        id(event["extra"]): 3, id(event["contexts"]): 2, id(event["breadcrumbs"]): 5,
        id(vars_): 2,
    }  # fmt: skip
    walked = [event["extra"], event["contexts"], event["breadcrumbs"], vars_]
    chars = sum(_strings_and_keys(v)[0] for v in walked) + len("v")  # the exception's value
    assert survey.chars == chars
    assert survey.entries == sum(_strings_and_keys(v)[1] for v in walked)
    assert (survey.largest_dict, survey.largest_list) == (2, 3)
    assert survey.longest_text >= len("Linux")


@pytest.mark.parametrize(
    "extra",
    [
        {"k" * 101: "a key longer than the survey vouches for"},
        {"nested": {5: "a key that is not a string"}},
        {"note": f"paid with {VISA}"},  # the scan changes a string
        {"dsn": "postgres://bob:s3cret@db.invalid/x"},
        {"password" + "x" * 200: "a long key, filtered but still long"},
    ],
)
def test_no_survey_when_a_key_is_odd_or_a_string_changed(extra):
    event = {"extra": extra, "contexts": {"os": {"name": "Linux"}}}
    assert scrub_and_survey(event) is None


def test_scrub_and_survey_scrubs_as_scrub_event():
    with open(FIXTURES / "sentry_python_envelope.json") as f:
        event = json.load(f)["event"]
    event["extra"] = {"api_key": "abc", "url": "https://u:pw@example.invalid/", "card": VISA}
    expected = scrub_event(copy.deepcopy(event))
    scrub_and_survey(event)
    assert event == expected
