"""Titles, culprits, types and metadata (events/processing/titles.py), checked against real Sentry output."""

import json
import re
import time

import pytest

from events.processing.normalize import normalize_event
from events.processing.titles import (
    event_culprit,
    event_metadata,
    event_title,
    event_type,
    format_message,
)
from tests.support.payloads import FIXTURES as PAYLOAD_FIXTURES

pytestmark = pytest.mark.one_pass

FIXTURES = PAYLOAD_FIXTURES / "sentry-compat"
FIXTURE_NAMES = [
    "python_zero_division",
    "python_logging",
    "django_message_params",
    "js_error_with_context",
    "small_js_error",
    "php_message_event",
]


def canonical(raw: dict) -> dict:
    return normalize_event(raw, received=time.time())


def load_fixture(name: str) -> tuple[dict, dict]:
    incoming = json.loads((FIXTURES / f"{name}.incoming.json").read_text())
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    return incoming, expected


def accepted(expected: dict, field: str) -> list:
    return [expected[field], *expected.get("also_accept", {}).get(field, [])]


def accepted_metadata(expected: dict) -> list[dict]:
    """Expected metadata, plus the one implied by each also-accepted `function(filename)` culprit.

    js_error_with_context's upstream metadata names a frame its own incoming event lacks (see its
    note); the frame the event does have is accepted for metadata as it is for the culprit.
    """
    options = [expected["metadata"]]
    for culprit in expected.get("also_accept", {}).get("culprit", []):
        match = re.fullmatch(r"(.+)\((.+)\)", culprit)
        if match:
            function, filename = match.groups()
            options.append(dict(expected["metadata"], function=function, filename=filename))
    return options


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_sentry_compat_fixture(name):
    incoming, expected = load_fixture(name)
    event = canonical(incoming)
    assert event_title(event) in accepted(expected, "title")
    assert event_culprit(event) in accepted(expected, "culprit")
    assert event_type(event) == expected["type"]
    assert event["level"] in accepted(expected, "level")
    metadata = event_metadata(event)
    assert any(
        all(metadata.get(key) == value for key, value in option.items())
        for option in accepted_metadata(expected)
    ), metadata


def test_every_fixture_pair_is_covered():
    names = {p.name.removesuffix(".expected.json") for p in FIXTURES.glob("*.expected.json")}
    assert names == set(FIXTURE_NAMES)


# --- titles ---------------------------------------------------------------------------------


def exc(type_="ValueError", value="bad", frames=None, **extra):
    data = {"type": type_, "value": value, **extra}
    if frames is not None:
        data["stacktrace"] = {"frames": frames}
    return data


def errors(*exceptions, **event):
    return canonical({"exception": {"values": list(exceptions)}, **event})


LONG = "x" * 150

TITLE_CASES = [
    ("type and value", errors(exc("KeyError", "'id'")), "KeyError: 'id'"),
    ("last exception of a chain", errors(exc("KeyError", "'id'"), exc("ValueError", "bad")), "ValueError: bad"),
    ("first line of the value", errors(exc("E", "one\ntwo")), "E: one"),
    ("value cut to 100", errors(exc("E", LONG)), "E: " + "x" * 99 + "…"),
    ("type alone without value", errors(exc("E", None)), "E"),
    ("missing type", errors(exc(None, "boom")), "Error: boom"),
    ("synthetic: crash function", errors(exc("SIGSEGV", "x", [{"function": "main"}, {"function": "crash", "in_app": True}, {"function": "libc"}], mechanism={"synthetic": True})), "crash"),
    ("synthetic without frames", errors(exc("SIGSEGV", "x", mechanism={"synthetic": True})), "<unknown>"),
    ("string message", canonical({"message": "Hello %s world"}), "Hello %s world"),
    ("formatted wins", canonical({"logentry": {"message": "Hi %s", "params": ["a"], "formatted": "Hi {a}"}}), "Hi {a}"),
    ("params filled in", canonical({"logentry": {"message": "Hi %s and %s", "params": ["a", "b"]}}), "Hi a and b"),
    ("named params", canonical({"message": {"message": "Hi {who}", "params": {"who": "bob"}}}), "Hi bob"),
    ("bad params keep the template", canonical({"logentry": {"message": "Hi %s %s", "params": ["a"]}}), "Hi %s %s"),
    ("message first line, cut", canonical({"message": "\n  " + LONG + "\nmore"}), "x" * 99 + "…"),
    ("nothing", canonical({}), "<unlabeled event>"),
    ("stack only", canonical({"stacktrace": {"frames": [{"function": "f"}]}}), "<unlabeled event>"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("event", "title"), [c[1:] for c in TITLE_CASES], ids=[c[0] for c in TITLE_CASES]
)
def test_event_title(event, title):
    assert event_title(event) == title


FORMAT_CASES = [
    ("Failed for user %s", ["bob"], "Failed for user bob"),
    ("%s of %d at %.2f%%", ["a", 3, 1.234], "a of 3 at 1.23%"),
    ("%d from a string", ["7"], "7 from a string"),
    ("%r", ["x"], "'x'"),
    ("%(user)s did %(what)s", {"user": "bob", "what": "it"}, "bob did it"),
    ("Here is a new {foo}", {"foo": "error"}, "Here is a new error"),
    ("{} and {} then {0}", ["a", "b"], "a and b then a"),
    ("{known} {unknown}", {"known": 1}, "1 {unknown}"),
    ("no placeholders", ["x"], "no placeholders"),
    ("too few %s %s", ["x"], None),
    ("%d not a number", ["abc"], None),
    ("%(missing)s", {"other": 1}, None),
    ("%999999999s padding is ignored", ["x"], "x padding is ignored"),
    ("anything", [], None),
    ("anything", None, None),
]


@pytest.mark.parametrize(("template", "params", "expected"), FORMAT_CASES)
def test_format_message(template, params, expected):
    assert format_message(template, params) == expected


# --- culprits -------------------------------------------------------------------------------


def pyf(module, function, in_app=False):
    return {"module": module, "function": function, "in_app": in_app, "filename": "x.py"}


CULPRIT_CASES = [
    ("explicit culprit", errors(exc(), culprit="__main__ in <module>", transaction="/t"), "__main__ in <module>"),
    ("transaction", errors(exc(frames=[pyf("a", "b", True)]), transaction="/orders/<pk>/"), "/orders/<pk>/"),
    ("empty transaction skipped", errors(exc(frames=[pyf("a", "b", True)]), transaction=""), "a in b"),
    ("newest in-app frame", errors(exc(frames=[pyf("app", "outer", True), pyf("app", "inner", True), pyf("lib", "call")])), "app in inner"),
    ("newest frame without in-app", errors(exc(frames=[pyf("lib", "a"), pyf("lib", "b")])), "lib in b"),
    ("last exception's frames", errors(exc(frames=[pyf("first", "f", True)]), exc(frames=[pyf("second", "g", True)])), "second in g"),
    ("filename without module", errors(exc(frames=[{"filename": "app/models/user.rb", "function": "save", "in_app": True}])), "app/models/user.rb in save"),
    ("missing function", errors(exc(frames=[{"module": "m", "in_app": True}])), "m in ?"),
    ("js: url path", errors(exc(frames=[{"filename": "https://x.io/dist/app.js?v=3", "function": "go", "in_app": True}]), platform="javascript"), "go(/dist/app.js)"),
    ("js: anonymous", errors(exc(frames=[{"filename": "http://127.0.0.1:8080/dist/bundle.js", "function": "?"}]), platform="javascript"), "?(/dist/bundle.js)"),
    ("node: module", errors(exc(frames=[{"filename": "/app/src/db.js", "module": "src:db", "function": "connect", "in_app": True}]), platform="node"), "connect(src:db)"),
    ("frame platform wins", errors(exc(frames=[{"filename": "/a.js", "function": "f", "platform": "javascript"}]), platform="python"), "f(/a.js)"),
    ("native: function only", errors(exc(frames=[{"function": "-[A b:]", "package": "/App", "in_app": True}]), platform="cocoa"), "-[A b:]"),
    ("request url", canonical({"message": "x", "request": {"url": "http://localhost:8080/"}}), "http://localhost:8080/"),
    ("top-level stacktrace", canonical({"message": "x", "stacktrace": {"frames": [pyf("m", "f")]}}), "m in f"),
    ("single thread stack", canonical({"threads": [{"stacktrace": {"frames": [pyf("m", "f")]}}]}), "m in f"),
    ("nothing", canonical({"message": "x"}), ""),
    ("capped at 200", canonical({"request": {"url": "http://h/" + "t" * 300}}), "http://h/" + "t" * 190 + "…"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("event", "culprit"), [c[1:] for c in CULPRIT_CASES], ids=[c[0] for c in CULPRIT_CASES]
)
def test_event_culprit(event, culprit):
    assert event_culprit(event) == culprit


# --- type and metadata ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"exception": {"values": [{"type": "E"}]}}, "error"),
        ({"exception": [{"value": "v"}]}, "error"),
        ({"exception": {"values": []}, "message": "m"}, "default"),
        ({"exception": {"values": [{}]}}, "default"),
        ({"message": "m"}, "default"),
        ({}, "default"),
    ],
)
def test_event_type(raw, expected):
    assert event_type(canonical(raw)) == expected


def test_error_metadata_uses_the_crash_frame():
    frames = [
        {"filename": "app/views.py", "function": "get", "module": "app.views", "in_app": True},
        {"filename": "lib/db.py", "function": "query", "module": "lib.db"},
    ]
    event = errors(exc("KeyError", "y" * 2000, frames))
    assert event_metadata(event) == {
        "type": "KeyError",
        "value": "y" * 1023 + "…",
        "filename": "app/views.py",
        "function": "get",
    }


def test_error_metadata_without_frames_or_function():
    assert event_metadata(errors(exc("E", None))) == {"type": "E", "value": ""}
    js = errors(exc("E", "v", [{"filename": "http://h/dist/b.js", "function": "?"}]))
    assert event_metadata(js) == {"type": "E", "value": "v", "filename": "/dist/b.js"}


def test_message_metadata_is_the_title():
    event = canonical({"logentry": {"message": "Hi %s", "params": ["bob"]}})
    assert event_metadata(event) == {"title": "Hi bob"}
    assert event_metadata(canonical({})) == {"title": "<unlabeled event>"}


def test_functions_accept_raw_junk_without_raising():
    junk = {"exception": {"values": ["x", {"stacktrace": {"frames": [1, None]}}]}, "logentry": 5}
    for func in (event_type, event_title, event_culprit, event_metadata):
        func(junk)
