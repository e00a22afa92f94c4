"""normalize_event (events/processing/normalize.py): one table per rule, plus a never-raises property."""

import copy
import json
import re
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.processing.grouping import compute_grouping
from events.processing.normalize import LEVELS, normalize_event
from events.processing.titles import event_culprit, event_metadata, event_title, event_type

pytestmark = pytest.mark.one_pass

RECEIVED = datetime(2026, 11, 27, 9, 52, 39, tzinfo=UTC).timestamp()


def norm(raw: dict, **kwargs) -> dict:
    return normalize_event(raw, received=RECEIVED, **kwargs)


# --- identity and time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_id", "expected"),
    [
        ("F373E0A1B2C34D5E8F9A0B1C2D3E4F50", "f373e0a1b2c34d5e8f9a0b1c2d3e4f50"),
        ("f373e0a1-b2c3-4d5e-8f9a-0b1c2d3e4f50", "f373e0a1b2c34d5e8f9a0b1c2d3e4f50"),
        (" {F373E0A1-B2C3-4D5E-8F9A-0B1C2D3E4F50} ", "f373e0a1b2c34d5e8f9a0b1c2d3e4f50"),
    ],
)
def test_event_id_from_payload_is_normalized(raw_id, expected):
    assert norm({"event_id": raw_id})["event_id"] == expected


@pytest.mark.parametrize("raw_id", [None, "", "not-an-id", 42, "f373" * 9, ["x"]])
def test_invalid_or_missing_event_id_gets_a_new_uuid4(raw_id):
    event_id = norm({"event_id": raw_id})["event_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", event_id)
    assert uuid.UUID(event_id).version == 4


def test_given_event_id_wins():
    payload = {"event_id": "a" * 32}
    assert norm(payload, event_id="b" * 32)["event_id"] == "b" * 32
    assert norm(payload, event_id="C" * 32)["event_id"] == "c" * 32


def iso(seconds_before: float) -> float:
    return RECEIVED - seconds_before


TIMESTAMP_CASES = [
    ("float", iso(10.5), iso(10.5)),
    ("int", int(RECEIVED) - 10, int(RECEIVED) - 10),
    ("numeric string", str(iso(10)), iso(10)),
    ("iso with Z and micros", "2026-11-27T09:51:29.788004Z", iso(69.211996)),
    ("iso without fraction", "2026-11-27T09:52:00Z", iso(39)),
    ("naive iso is UTC", "2026-11-27T09:52:00", iso(39)),
    ("offset", "2026-11-27T10:52:00+01:00", iso(39)),
    ("milliseconds", "2026-11-27T09:52:00.5Z", iso(38.5)),
    ("59 s in the future kept", RECEIVED + 59, RECEIVED + 59),
    ("61 s in the future clamped", RECEIVED + 61, RECEIVED),
    ("29 days old kept", iso(29 * 86400), iso(29 * 86400)),
    ("31 days old clamped", iso(31 * 86400), RECEIVED),
    ("numeric string with an exponent", f"{iso(10):.12e}", float(f"{iso(10):.12e}")),
    ("numeric string with a negative exponent", f"{int(iso(10) * 1000)}e-3", iso(10)),
    ("iso with a space", "2026-11-27 09:52:00+00:00", iso(39)),
    ("garbage string", "yesterday", RECEIVED),
    ("missing", None, RECEIVED),
    ("bool", True, RECEIVED),
    ("nan", float("nan"), RECEIVED),
    ("huge", 1e300, RECEIVED),
    ("list", [1], RECEIVED),
]


@pytest.mark.parametrize(
    ("value", "expected"), [c[1:] for c in TIMESTAMP_CASES], ids=[c[0] for c in TIMESTAMP_CASES]
)
def test_timestamp(value, expected):
    event = norm({"timestamp": value})
    assert event["timestamp"] == pytest.approx(expected, abs=1e-6)
    assert isinstance(event["timestamp"], float)
    assert event["received"] == RECEIVED and isinstance(event["received"], float)


# --- scalar fields --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fatal", "fatal"),
        ("ERROR", "error"),
        ("warning", "warning"),
        ("warn", "warning"),
        ("log", "info"),
        ("info", "info"),
        ("debug", "debug"),
        ("critical", "fatal"),
        (10, "debug"),
        (20, "info"),
        (30, "warning"),
        (40, "error"),
        (50, "fatal"),
        ("40", "error"),
        (30.0, "warning"),
        (35, "error"),
        ("verbose", "error"),
        (None, "error"),
        (True, "error"),
        ({"a": 1}, "error"),
    ],
)
def test_level(value, expected):
    assert norm({"level": value})["level"] == expected
    assert set(LEVELS) == {"fatal", "error", "warning", "info", "debug"}


def test_platform_defaults_to_other():
    assert norm({})["platform"] == "other"
    assert norm({"platform": None})["platform"] == "other"
    assert norm({"platform": "python"})["platform"] == "python"


@pytest.mark.parametrize(
    ("field", "cap"),
    [
        ("logger", 64),
        ("transaction", 200),
        ("server_name", 200),
        ("release", 200),
        ("dist", 64),
        ("environment", 64),
        ("culprit", 200),
    ],
)
def test_string_fields_are_capped(field, cap):
    assert norm({field: "a" * 500})[field] == "a" * cap
    assert norm({field: "short"})[field] == "short"
    assert field not in norm({field: {"no": "dict"}})
    assert field not in norm({})


def test_string_fields_coerce_numbers_and_logger_keeps_one_line():
    event = norm({"release": 12, "dist": 1.5, "logger": "app.views\nINJECTED", "transaction": ""})
    assert (event["release"], event["dist"], event["logger"]) == ("12", "1.5", "app.views")
    assert event["transaction"] == ""


def test_environment_is_not_defaulted():
    assert "environment" not in norm({"message": "x"})


# --- aliases and messages -------------------------------------------------------------------


def test_legacy_interface_names_are_aliased():
    event = norm(
        {
            "sentry.interfaces.Message": {"message": "hello %s", "params": ["udp"]},
            "sentry.interfaces.Exception": {"type": "ValueError", "value": "x"},
            "sentry.interfaces.Http": {"url": "http://h/", "method": "GET"},
            "sentry.interfaces.User": {"id": "7"},
            "sentry.interfaces.Query": {"query": "SELECT 1"},
        }
    )
    assert event["logentry"] == {"message": "hello %s", "formatted": "hello udp", "params": ["udp"]}
    assert event["exception"]["values"][0]["type"] == "ValueError"
    assert event["request"]["url"] == "http://h/"
    assert event["user"] == {"id": "7"}
    assert event["query"] == {"query": "SELECT 1"}
    assert not any(key.startswith("sentry.interfaces.") for key in event)


def test_modern_name_beats_its_alias():
    event = norm({"logentry": {"message": "new"}, "sentry.interfaces.Message": {"message": "old"}})
    assert event["logentry"]["message"] == "new"


MESSAGE_CASES = [
    ("plain string", {"message": "Hello %s world"}, {"message": None, "formatted": "Hello %s world", "params": None}),
    ("object", {"message": {"message": "Hi {foo}", "params": {"foo": "bob"}}}, {"message": "Hi {foo}", "formatted": "Hi bob", "params": {"foo": "bob"}}),
    ("object with formatted", {"message": {"message": "a {x}", "params": {"x": 1}, "formatted": "a {x}"}}, {"message": "a {x}", "formatted": "a {x}", "params": {"x": 1}}),
    ("logentry beats string message", {"logentry": {"message": "t %s", "params": ["p"]}, "message": "t p!"}, {"message": "t %s", "formatted": "t p!", "params": ["p"]}),
    ("logentry as a string", {"logentry": "just text"}, {"message": None, "formatted": "just text", "params": None}),
    ("no params, no formatted", {"logentry": {"message": "static"}}, {"message": "static", "formatted": None, "params": None}),
    ("params of the wrong type", {"logentry": {"message": "m %s", "params": "x"}}, {"message": "m %s", "formatted": None, "params": None}),
    ("non-string template coerced", {"logentry": {"message": 404}}, {"message": "404", "formatted": None, "params": None}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "logentry"), [c[1:] for c in MESSAGE_CASES], ids=[c[0] for c in MESSAGE_CASES]
)
def test_message_becomes_logentry(raw, logentry):
    event = norm(raw)
    assert event["logentry"] == logentry
    assert "message" not in event


@pytest.mark.parametrize("raw", [{}, {"message": ""}, {"message": None}, {"logentry": {}}])
def test_no_logentry_without_text(raw):
    assert "logentry" not in norm(raw)


def test_message_is_capped():
    assert len(norm({"message": "m" * 10_000})["logentry"]["formatted"]) == 8192


# --- exceptions, frames, threads ------------------------------------------------------------

EXC = {"type": "ValueError", "value": "bad"}


@pytest.mark.parametrize(
    "shape",
    [{"values": [EXC]}, [EXC], EXC, {"values": EXC}],
    ids=["values", "bare list", "single object", "values object"],
)
def test_exception_shapes(shape):
    (exc,) = norm({"exception": shape})["exception"]["values"]
    assert exc == {"type": "ValueError", "value": "bad", "module": None, "mechanism": None}


def test_exception_fields_and_chain_order():
    raw = [
        {
            "type": "ZeroDivisionError",
            "value": "division by zero",
            "mechanism": {"type": "chained"},
        },
        {"type": "ValueError", "value": 42, "module": "app", "thread_id": "7", "junk": 1},
        {"no": "type"},
        "not a dict",
    ]
    values = norm({"exception": {"values": raw}})["exception"]["values"]
    assert [v["type"] for v in values] == ["ZeroDivisionError", "ValueError"]
    assert values[0]["mechanism"] == {"type": "chained"}
    assert values[1] == {
        "type": "ValueError",
        "value": "42",
        "module": "app",
        "mechanism": None,
        "thread_id": 7,
    }


def test_exception_list_without_usable_entries_is_dropped():
    assert "exception" not in norm({"exception": {"values": [{}, None, 3]}})


def test_raven3_top_level_stacktrace_moves_into_the_exception():
    raw = {
        "sentry.interfaces.Exception": {"type": "ZeroDivisionError", "module": "exceptions"},
        "sentry.interfaces.Stacktrace": {"frames": [{"function": "<module>", "lineno": 3}]},
    }
    event = norm(raw)
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert frames == [{"function": "<module>", "lineno": 3, "in_app": False}]
    assert "stacktrace" not in event


def test_top_level_stacktrace_kept_without_exception():
    event = norm({"message": "m", "stacktrace": {"frames": [{"function": "f"}]}})
    assert event["stacktrace"] == {"frames": [{"function": "f", "in_app": False}]}


def test_top_level_stacktrace_dropped_next_to_several_exceptions():
    event = norm({"exception": [EXC, EXC], "stacktrace": {"frames": [{"function": "f"}]}})
    assert "stacktrace" not in event
    assert all("stacktrace" not in exc for exc in event["exception"]["values"])


FULL_FRAME = {
    "filename": "app.py",
    "abs_path": "/srv/app.py",
    "module": "__main__",
    "function": "inner",
    "raw_function": "inner(x)",
    "lineno": 9,
    "colno": 4,
    "context_line": "    return 1 / x",
    "pre_context": ["def inner(x):"],
    "post_context": ["", None],
    "in_app": True,
    "vars": {"x": "0", "'y'": "1", "u'z'": "2"},
    "package": "/srv",
    "platform": "python",
    "instruction_addr": "0x1",
    "symbol": "inner",
    "unknown_key": "dropped",
    "data": {"sourcemap": "x"},
}


def test_frame_keeps_known_fields_only():
    (frame,) = norm({"stacktrace": {"frames": [FULL_FRAME, "junk"]}})["stacktrace"]["frames"]
    expected = {k: v for k, v in FULL_FRAME.items() if k not in ("unknown_key", "data")}
    expected["post_context"] = ["", ""]
    expected["vars"] = {"x": "0", "y": "1", "z": "2"}  # raven 3 quoted names unquoted
    assert frame == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"in_app": None}, {"in_app": False}),
        ({}, {"in_app": False}),
        ({"in_app": "true"}, {"in_app": True}),
        ({"lineno": "12", "colno": 3.0}, {"lineno": 12, "colno": 3, "in_app": False}),
        ({"lineno": "twelve", "colno": 1.5}, {"in_app": False}),
        ({"function": 5, "vars": ["not", "a", "dict"]}, {"function": "5", "in_app": False}),
    ],
)
def test_frame_coercion(raw, expected):
    assert norm({"stacktrace": {"frames": [raw]}})["stacktrace"]["frames"] == [expected]


@pytest.mark.parametrize("shape", ["values", "list"])
def test_threads(shape):
    threads = [
        {
            "id": 1,
            "name": "main",
            "crashed": True,
            "current": "yes",
            "stacktrace": {"frames": [{}]},
        },
        {"id": "worker-2", "junk": 1},
        "junk",
    ]
    raw = {"threads": {"values": threads} if shape == "values" else threads}
    assert norm(raw)["threads"] == {
        "values": [
            {
                "id": 1,
                "name": "main",
                "crashed": True,
                "stacktrace": {"frames": [{"in_app": False}]},
            },
            {"id": "worker-2"},
        ]
    }


@pytest.mark.parametrize("shape", ["values", "list"])
def test_breadcrumbs(shape):
    crumbs = [{"category": "ui.click", "message": "button"}, "junk", None]
    raw = {"breadcrumbs": {"values": crumbs} if shape == "values" else crumbs}
    assert norm(raw)["breadcrumbs"] == {"values": [{"category": "ui.click", "message": "button"}]}
    assert "breadcrumbs" not in norm({"breadcrumbs": {"values": []}})


# --- request, user, tags, free-form sections ------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "pairs"),
    [
        ({"Host": "h", "X-Num": 5, "X-None": None}, [["Host", "h"], ["X-Num", "5"]]),
        ({"Accept": ["text/html"], "Cookie": ["a", "b"]}, [["Accept", "text/html"], ["Cookie", "a"], ["Cookie", "b"]]),
        ([["Host", "h"], ["Bad"], ("X", "y")], [["Host", "h"], ["X", "y"]]),
        ("Host: h\r\nX-A: b: c\r\nbroken", [["Host", "h"], ["X-A", "b: c"]]),
        (42, []),
    ],
)  # fmt: skip
def test_request_headers_become_pairs(headers, pairs):
    assert norm({"request": {"headers": headers}})["request"]["headers"] == pairs


def test_request_keeps_other_shapes():
    raw = {
        "url": "http://h/p",
        "method": "GET",
        "query_string": [["a", "1"]],
        "cookies": "sid=1",
        "data": {"k": [1, 2]},
        "env": {"REMOTE_ADDR": "1.2.3.4"},
    }
    assert norm({"request": raw})["request"] == raw
    assert norm({"request": {"url": ["x"], "cookies": 5}})["request"] == {}
    assert "request" not in norm({"request": "http://h/"})


@pytest.mark.parametrize(
    ("client_ip", "expected"),
    [("10.1.2.3", {"id": "1", "ip_address": "10.1.2.3"}), (None, {"id": "1"})],
)
def test_user_ip_auto(client_ip, expected):
    assert (
        norm({"user": {"id": "1", "ip_address": "{{auto}}"}}, client_ip=client_ip)["user"]
        == expected
    )
    assert (
        norm({"user": {"ip_address": "1.1.1.1"}}, client_ip="2.2.2.2")["user"]["ip_address"]
        == "1.1.1.1"
    )


@pytest.mark.parametrize(
    ("tags", "pairs"),
    [
        ({"a": "1", "b": 2, "c": True, "d": None, "e": 1.5}, [["a", "1"], ["b", "2"], ["c", "true"], ["e", "1.5"]]),
        ([["a", "1"], ["a", "2"], ["x"], "junk", [3, None]], [["a", "1"], ["a", "2"]]),
        ({"k" * 300: "v" * 300}, [["k" * 200, "v" * 200]]),
        ({"obj": {"x": [1]}}, [["obj", '{"x":[1]}']]),
        ({"": "empty key"}, []),
        ("a:b", []),
    ],
)  # fmt: skip
def test_tags_become_string_pairs(tags, pairs):
    assert norm({"tags": tags})["tags"] == pairs


def test_tags_always_present():
    assert norm({})["tags"] == []


@pytest.mark.parametrize("field", ["contexts", "extra", "modules", "sdk"])
def test_free_form_sections_must_be_dicts(field):
    assert norm({field: {"a": {"b": [1, None]}}})[field] == {"a": {"b": [1, None]}}
    assert field not in norm({field: ["a"]})
    assert field not in norm({field: "a"})


@pytest.mark.parametrize(
    ("fingerprint", "expected"),
    [
        (["{{ default }}", "x"], ["{{ default }}", "x"]),
        ([1, 2.5, True, None, {"a": 1}], ["1", "2.5", "true"]),
        ([], None),
        ("not a list", None),
    ],
)
def test_fingerprint(fingerprint, expected):
    assert norm({"fingerprint": fingerprint}).get("fingerprint") == expected


def test_unknown_keys_kept_if_json_safe_and_raven_junk_dropped():
    raw = {
        "project": "1",
        "time_spent": 5,
        "repos": {},
        "_meta": {"request": {}},
        "custom": [1, "a", None],
        "not_finite": float("nan"),
        "deep_nan": {"a": [float("inf")]},
        "tuple": (1, 2),
    }
    event = norm(raw)
    assert event["_meta"] == {"request": {}} and event["custom"] == [1, "a", None]
    for key in ("project", "time_spent", "repos", "not_finite", "deep_nan", "tuple"):
        assert key not in event


def test_input_is_not_modified_and_output_is_new():
    raw = {"message": "m", "exception": [EXC], "tags": {"a": "b"}, "extra": {"x": [1]}}
    before = copy.deepcopy(raw)
    event = norm(raw)
    assert raw == before
    event["extra"]["x"].append(2)
    assert raw["extra"]["x"] == [1]


def test_non_dict_input_gives_a_minimal_event():
    event = normalize_event([1, 2], received=RECEIVED)  # type: ignore[arg-type]
    assert event["platform"] == "other" and event["level"] == "error"


def test_lone_surrogates_are_replaced():
    event = norm({"message": "bad \ud800 text", "extra": {"k\udfff": "v\ud800"}})
    orjson.dumps(event)
    assert event["logentry"]["formatted"] == "bad ? text"


# --- property: any JSON-like dict ----------------------------------------------------------

FIELD_NAMES = [
    "event_id", "timestamp", "platform", "level", "logger", "transaction", "server_name", "release",
    "dist", "environment", "message", "logentry", "exception", "stacktrace", "threads",
    "breadcrumbs", "request", "user", "tags", "contexts", "extra", "modules", "fingerprint", "sdk",
    "culprit", "project", "time_spent", "repos", "values", "frames", "type", "value", "module",
    "mechanism", "synthetic", "filename", "abs_path", "function", "lineno", "colno",
    "context_line", "pre_context", "post_context", "in_app", "vars", "params", "formatted",
    "headers", "cookies", "query_string", "url", "ip_address", "id", "crashed", "data",
    "sentry.interfaces.Message", "sentry.interfaces.Exception", "sentry.interfaces.Stacktrace",
    "sentry.interfaces.Http", "sentry.interfaces.User",
]  # fmt: skip
KEYS = st.sampled_from(FIELD_NAMES) | st.text(max_size=6)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["{{auto}}", "{{ default }}", "%s %d", "{x}", "?", "2026-11-27T09:52:39Z"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=40,
)
FRAME = st.dictionaries(KEYS, JSON, max_size=6)
EXCEPTION = st.fixed_dictionaries({}, optional={"type": JSON, "value": JSON, "mechanism": JSON,
                                               "stacktrace": st.fixed_dictionaries({"frames": st.lists(FRAME, max_size=3)})})  # fmt: skip
SHAPED = st.fixed_dictionaries(
    {},
    optional={
        "exception": st.fixed_dictionaries({"values": st.lists(EXCEPTION, max_size=3)}) | EXCEPTION,
        "threads": st.lists(st.fixed_dictionaries({}, optional={"stacktrace": JSON}), max_size=2),
        "logentry": st.fixed_dictionaries({}, optional={"message": JSON, "params": JSON}),
        "fingerprint": st.lists(JSON, max_size=3),
        "platform": st.sampled_from(["python", "javascript", "node", "java", "php", "cocoa"]),
        "request": st.dictionaries(KEYS, JSON, max_size=4),
        "tags": JSON,
    },
)
RAW_EVENTS = st.builds(lambda a, b: {**a, **b}, st.dictionaries(KEYS, JSON, max_size=8), SHAPED)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=RAW_EVENTS, client_ip=st.none() | st.just("10.0.0.1"))
def test_pipeline_never_raises_and_output_is_json(raw, client_ip):
    before = repr(raw)
    event = normalize_event(raw, received=RECEIVED, client_ip=client_ip)
    assert repr(raw) == before
    json.dumps(event, allow_nan=False)
    orjson.dumps(event)
    assert re.fullmatch(r"[0-9a-f]{32}", event["event_id"])
    assert isinstance(event["timestamp"], float) and event["level"] in LEVELS
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in event["tags"])
    result = compute_grouping(event)
    assert re.fullmatch(r"[0-9a-f]{32}", result.hash)
    assert isinstance(event_title(event), str) and len(event_culprit(event)) <= 200
    assert event_type(event) in ("error", "default") and isinstance(event_metadata(event), dict)


def test_raven_capture_message_top_level_template_is_formatted_with_params():
    raw = {
        "message": "user %s not found",
        "sentry.interfaces.Message": {"message": "user %s not found", "params": ["bob"]},
    }
    event = normalize_event(raw, received=1_800_000_000.0)
    assert event["logentry"]["formatted"] == "user bob not found"
    assert event["logentry"]["message"] == "user %s not found"


# --- trusted input (orjson-parsed): no copies, same result -----------------------------------


def _containers(value, seen: dict) -> None:
    stack = [value]
    while stack:
        node = stack.pop()
        if type(node) in (dict, list):
            seen[id(node)] = seen.get(id(node), 0) + 1
            stack.extend(node.values() if type(node) is dict else node)


def _corpus_payloads():
    from tests.events.processing.test_grouping import CORPUS

    for group in CORPUS.values():
        for item in group["events"]:
            yield item["payload"]


def test_trusted_input_gives_the_same_event_and_never_shares_a_container_twice():
    from events.processing import scrub, trim

    payloads = list(_corpus_payloads())
    assert len(payloads) > 50
    for payload in payloads:
        text = orjson.dumps(payload)
        copied = normalize_event(orjson.loads(text), received=1795773403.0, event_id="a" * 32)
        trusted = normalize_event(
            orjson.loads(text), received=1795773403.0, event_id="a" * 32, trusted=True
        )
        assert trusted == copied
        seen: dict = {}
        _containers(trusted, seen)
        assert max(seen.values()) == 1  # in-place scrubbing and trimming touch one place only
        assert trim.trim_event(scrub.scrub_event(trusted)) == trim.trim_event(
            scrub.scrub_event(copied)
        )
