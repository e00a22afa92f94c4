import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.processing.scrub import Survey, scrub_and_survey, scrub_event
from events.processing.trim import ELLIPSIS, Limits, bounded_dump, trim_event
from tests.support.payloads import FIXTURES

pytestmark = pytest.mark.one_pass


def size(event) -> int:
    return len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode())


def frame(i, **extra):
    return {"function": f"f{i}", "lineno": i, "in_app": True, **extra}


def exception(n_frames=3, **extra):
    return {
        "type": "E",
        "value": "v",
        "stacktrace": {"frames": [frame(i) for i in range(n_frames)]},
        **extra,
    }


def load_fixture():
    with open(FIXTURES / "sentry_python_envelope.json") as f:
        return json.load(f)["event"]


def test_nothing_to_trim_leaves_event_untouched():
    event = load_fixture()
    assert trim_event(copy.deepcopy(event)) == event
    assert "_trimmed" not in trim_event(copy.deepcopy(event))


def test_incoming_marker_is_discarded():
    assert trim_event({"_trimmed": ["forged"], "level": "error"}) == {"level": "error"}


# --- strings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "path", "getter", "limit"),
    [
        ({"logentry": {"formatted": "x" * 9000}}, "logentry.formatted", lambda e: e["logentry"]["formatted"], 8192),
        ({"message": "m" * 9000}, "message", lambda e: e["message"], 8192),
        ({"extra": {"big": "b" * 10000}}, "extra.big", lambda e: e["extra"]["big"], 8192),
        ({"exception": {"values": [exception(1, value="v" * 9000)]}}, "exception.values.0.value",
         lambda e: e["exception"]["values"][0]["value"], 8192),
        ({"transaction": "t" * 300}, "transaction", lambda e: e["transaction"], 200),
        ({"release": "r" * 300}, "release", lambda e: e["release"], 200),
        ({"culprit": "c" * 300}, "culprit", lambda e: e["culprit"], 200),
        ({"tags": [["k", "v" * 300]]}, "tags.0.1", lambda e: e["tags"][0][1], 200),
        ({"tags": [["k" * 300, "v"]]}, "tags.0.0", lambda e: e["tags"][0][0], 200),
        ({"tags": {"k": "v" * 300}}, "tags.k", lambda e: e["tags"]["k"], 200),
        ({"breadcrumbs": {"values": [{"message": "m" * 9000}]}}, "breadcrumbs.values.0.message",
         lambda e: e["breadcrumbs"]["values"][0]["message"], 8192),
    ],
)  # fmt: skip
def test_string_limits(event, path, getter, limit):
    trim_event(event)
    value = getter(event)
    assert len(value) == limit and value.endswith(ELLIPSIS)
    assert event["_trimmed"] == [path]


def test_long_string_in_a_list_of_strings():
    event = {"logentry": {"params": ["a", "p" * 9000]}}
    trim_event(event)
    assert event["logentry"]["params"] == ["a", "p" * 8191 + ELLIPSIS]
    assert event["_trimmed"] == ["logentry.params.1"]


def test_list_of_strings_too_deep():
    event = {"extra": nested(8)}
    node = event["extra"]
    for _ in range(7):
        node = node["d"]
    node["d"] = ["a", "b"]  # a list at depth 8 is fine, its items are leaves
    assert trim_event(copy.deepcopy(event)) == event
    node["d"] = {"l": ["a", "b"]}  # one level deeper is not
    trim_event(event)
    assert node["d"] == {"l": '["a", "b"]'}
    assert event["_trimmed"] == ["extra" + ".d" * 8 + ".l"]


def test_exact_limit_is_not_cut():
    event = {"message": "m" * 8192, "transaction": "t" * 200}
    assert trim_event(copy.deepcopy(event)) == event


def test_long_keys_are_cut():
    event = {"extra": {"k" * 300: 1, "ok": 2}}
    trim_event(event)
    assert event["extra"] == {"k" * 199 + ELLIPSIS: 1, "ok": 2}
    (mark,) = event["_trimmed"]  # paths are capped at 200 chars as well
    assert mark.startswith("extra.kkk") and mark.endswith(ELLIPSIS) and len(mark) == 200


# --- lists and dicts ------------------------------------------------------------------------


def test_frames_keep_oldest_and_newest():
    event = {"exception": {"values": [exception(300)]}}
    trim_event(event)
    stacktrace = event["exception"]["values"][0]["stacktrace"]
    linenos = [f["lineno"] for f in stacktrace["frames"]]
    assert linenos == list(range(50)) + list(range(100, 300))
    assert stacktrace["frames_omitted"] == [50, 100]
    assert event["_trimmed"] == ["exception.values.0.stacktrace.frames"]


def test_frames_in_threads_and_custom_limit():
    event = {
        "threads": {"values": [{"id": 1, "stacktrace": {"frames": [frame(i) for i in range(20)]}}]}
    }
    trim_event(event, Limits(max_frames=10))
    stacktrace = event["threads"]["values"][0]["stacktrace"]
    assert [f["lineno"] for f in stacktrace["frames"]] == [0, 1, 12, 13, 14, 15, 16, 17, 18, 19]
    assert event["_trimmed"] == ["threads.values.0.stacktrace.frames"]


def test_exceptions_keep_newest():
    event = {"exception": {"values": [exception(1, type=f"E{i}") for i in range(30)]}}
    trim_event(event)
    assert [e["type"] for e in event["exception"]["values"]] == [f"E{i}" for i in range(5, 30)]
    assert event["_trimmed"] == ["exception.values"]


def test_breadcrumbs_keep_newest():
    event = {"breadcrumbs": {"values": [{"message": str(i)} for i in range(150)]}}
    trim_event(event)
    assert [c["message"] for c in event["breadcrumbs"]["values"]] == [
        str(i) for i in range(50, 150)
    ]
    assert event["_trimmed"] == ["breadcrumbs.values"]


@pytest.mark.parametrize(
    ("event", "path", "getter", "expected_len"),
    [
        ({"tags": [[f"k{i}", "v"] for i in range(150)]}, "tags", lambda e: e["tags"], 100),
        ({"tags": {f"k{i}": "v" for i in range(150)}}, "tags", lambda e: e["tags"], 100),
        ({"extra": {"big": list(range(150))}}, "extra.big", lambda e: e["extra"]["big"], 100),
        ({"extra": {"d": {str(i): i for i in range(80)}}}, "extra.d", lambda e: e["extra"]["d"], 50),
        ({"extra": {str(i): i for i in range(80)}}, "extra", lambda e: e["extra"], 50),
        ({"contexts": {"c": {str(i): i for i in range(80)}}}, "contexts.c", lambda e: e["contexts"]["c"], 50),
        ({"request": {"data": {"items": list(range(500))}}}, "request.data.items",
         lambda e: e["request"]["data"]["items"], 100),
        ({"exception": {"values": [exception(1)]}} | {"fingerprint": ["x"] * 120}, "fingerprint",
         lambda e: e["fingerprint"], 100),
    ],
)  # fmt: skip
def test_container_limits(event, path, getter, expected_len):
    trim_event(event)
    assert len(getter(event)) == expected_len
    assert event["_trimmed"] == [path]


def test_frame_vars_key_limit():
    event = {"exception": {"values": [exception(2)]}}
    event["exception"]["values"][0]["stacktrace"]["frames"][1]["vars"] = {
        f"v{i}": i for i in range(60)
    }
    trim_event(event)
    assert list(event["exception"]["values"][0]["stacktrace"]["frames"][1]["vars"]) == [
        f"v{i}" for i in range(50)
    ]
    assert event["_trimmed"] == ["exception.values.0.stacktrace.frames.1.vars"]


def test_modules_are_not_key_capped():
    event = {"modules": {f"pkg{i}": "1.0" for i in range(300)}}
    assert trim_event(copy.deepcopy(event)) == event


# --- depth ----------------------------------------------------------------------------------


def nested(depth):
    value = "leaf"
    for _ in range(depth):
        value = {"d": value}
    return value


@pytest.mark.parametrize("section", ["extra", "contexts"])
def test_depth_limit_in_free_form_sections(section):
    event = {section: nested(20)}
    trim_event(event)
    node, path = event[section], section
    for _ in range(8):
        node, path = node["d"], path + ".d"
    assert isinstance(node["d"], str) and node["d"].startswith('{"d": {"d":')
    assert event["_trimmed"] == [path + ".d"]


def test_depth_limit_in_frame_vars():
    event = {"exception": {"values": [exception(1)]}}
    event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"] = {"x": nested(12)}
    trim_event(event)
    assert event["_trimmed"] == ["exception.values.0.stacktrace.frames.0.vars.x.d.d.d.d.d.d.d.d"]


def test_depth_within_limit_is_kept():
    event = {"extra": nested(8)}
    assert trim_event(copy.deepcopy(event)) == event


def test_bounded_dump():
    assert bounded_dump({"a": [1, "x", None, True, 1.5]}, 100) == '{"a": [1, "x", null, true, 1.5]}'
    assert bounded_dump(list(range(10000)), 20) == "[0, 1, 2, 3, 4, 5, …"
    assert len(bounded_dump(nested(100000), 50)) == 50


# --- bytes ----------------------------------------------------------------------------------


def huge_event():
    frames = [
        frame(i, vars={f"v{j}": "x" * 2000 for j in range(40)}, pre_context=["c" * 1000] * 5)
        for i in range(60)
    ]
    return {
        "event_id": "0" * 32,
        "level": "error",
        "exception": {"values": [{"type": "E", "value": "boom", "stacktrace": {"frames": frames}}]},
        "breadcrumbs": {
            "values": [{"message": "m", "data": {"blob": "d" * 8000}} for _ in range(100)]
        },
        "extra": {f"e{i}": "e" * 8000 for i in range(40)},
        "request": {"url": "https://x.invalid/", "method": "POST", "data": {"b": "b" * 8000}},
        "modules": {f"m{i}": "1.0" for i in range(1000)},
    }


def test_five_megabyte_event_ends_below_budget():
    event = huge_event()
    assert size(event) > 5_000_000
    trim_event(event)
    assert size(event) <= Limits().max_event_bytes
    # 60 frame paths plus 100 breadcrumb paths exceed 100 marks: indexes collapse to "*".
    assert event["_trimmed"] == [
        "breadcrumbs.values.*.data",
        "exception.values.*.stacktrace.frames.*.vars",
        "extra",
    ]
    assert event["exception"]["values"][0]["value"] == "boom"


def deep(n):
    value = []
    for _ in range(n):
        value = [value]
    return value


@pytest.mark.parametrize(
    "event",
    [
        {"extra": {"s": "x" * 6_000_000}},
        {"unknown": "x" * 6_000_000},
        {"u" * 6_000_000: 1},
        {"breadcrumbs": {"values": [{"message": "m" * 8000} for _ in range(1000)]}},
        {"unknown": {str(i): "v" * 100 for i in range(100_000)}},
        {"threads": {"values": [exception(250, value="v" * 8000) for _ in range(100)]}},
        {"extra": {"deep": deep(900)}, "stacktrace": {"frames": [frame(i) for i in range(10**5)]}},
        {"logentry": {"params": ["p" * 8000] * 10_000}, "tags": [["k" * 300, "v" * 300]] * 10**4},
    ],
)
def test_hostile_shapes_end_below_budget(event):
    trim_event(event)
    assert size(event) <= Limits().max_event_bytes
    assert event["_trimmed"]


def test_byte_budget_drops_frame_vars_first():
    event = huge_event()
    del event["breadcrumbs"], event["extra"], event["modules"]
    trim_event(event, Limits(max_event_bytes=600_000))
    assert all("vars" not in f for f in event["exception"]["values"][0]["stacktrace"]["frames"])
    assert event["request"]["data"] == {"b": "b" * 8000}
    assert all(p.endswith(".vars") for p in event["_trimmed"])


def test_many_marks_are_collapsed():
    event = huge_event()
    trim_event(event)
    assert len(event["_trimmed"]) <= 100
    assert "exception.values.*.stacktrace.frames.*.vars" in event["_trimmed"]
    assert event["_trimmed"] == sorted(event["_trimmed"])


def test_tiny_budget_falls_back_to_scalars():
    event = huge_event()
    event["message"] = "z" * 5000
    trim_event(event, Limits(max_event_bytes=2_000))
    assert size(event) <= 2_000
    assert event["event_id"] == "0" * 32


# --- never raises ---------------------------------------------------------------------------

KEYS = st.sampled_from(
    ["extra", "contexts", "request", "breadcrumbs", "values", "exception", "threads", "stacktrace",
     "frames", "vars", "data", "tags", "modules", "message", "transaction", "pre_context"]
) | st.text(max_size=12)  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
JSONISH = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=60,
)
SMALL = Limits(
    max_string=16, max_short=8, max_frames=3, max_exceptions=2, max_breadcrumbs=2, max_vars=3,
    max_list=3, max_depth=2, max_tags=2, max_event_bytes=400,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, JSONISH, max_size=8), st.sampled_from([Limits(), SMALL]))
def test_never_raises_and_stays_serializable(event, limits):
    out = trim_event(event, limits)
    assert out is event
    json.dumps(out, allow_nan=True)
    marks = out.get("_trimmed", ["x"])
    assert marks and marks == sorted(marks)


@pytest.mark.parametrize(
    "event", [None, [], "x", {"exception": "x", "tags": 3, "breadcrumbs": [1]}]
)
def test_odd_shapes(event):
    assert trim_event(copy.deepcopy(event)) == event


def test_non_json_leaves_become_strings():
    event = {"extra": {"s": {1, 2}, "b": b"x", "t": (1, 2), "big": 10**5000}, 3: "int key"}
    trim_event(event)
    json.dumps(event)
    assert event["extra"]["t"] == [1, 2]
    assert event["extra"]["big"] == "<int>"
    assert event["3"] == "int key"


# --- with scrubbing's survey --------------------------------------------------------------------

JSON_SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
)  # fmt: skip
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=60,
)
FRAMES = st.lists(
    st.fixed_dictionaries({"function": st.text(max_size=5)}, optional={"vars": JSON_VALUES}),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(KEYS, JSON_VALUES, max_size=8),
    FRAMES,
    st.sampled_from([Limits(), SMALL, Limits(max_depth=1), Limits(max_vars=2, max_list=2)]),
)
def test_a_survey_changes_nothing_in_what_trim_keeps(event, frames, limits):
    event["exception"] = {"values": [{"type": "E", "stacktrace": {"frames": frames}}]}
    plain = trim_event(scrub_event(copy.deepcopy(event)), limits)
    survey = scrub_and_survey(event)
    assert trim_event(event, limits, survey=survey) == plain


def test_the_fixture_is_surveyed_and_trimmed_alike():
    event = load_fixture()
    expected = trim_event(scrub_event(copy.deepcopy(event)))
    survey = scrub_and_survey(event)
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert {id(f["vars"]) for f in frames if "vars" in f} <= survey.subtrees.keys()
    assert trim_event(event, survey=survey) == expected


def test_trim_does_not_walk_what_the_survey_vouches_for():
    # A survey that lies: trim takes its word, so the long string stays (what it saves).
    event = {"extra": {"s": "x" * 10_000}}
    survey = Survey(
        subtrees={id(event["extra"]): (event["extra"], 1)},
        longest_text=1, largest_dict=1, largest_list=0, chars=10_001, entries=2,
    )  # fmt: skip
    trim_event(event, survey=survey)
    assert len(event["extra"]["s"]) == 10_000
    trim_event(event)
    assert len(event["extra"]["s"]) == 8192


def test_a_surveyed_subtree_deeper_than_its_room_is_walked():
    deep = leaf = {}
    for _ in range(12):
        leaf["d"] = {}
        leaf = leaf["d"]
    event = {"exception": {"values": [exception(1)]}}
    event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"] = deep
    expected = trim_event(scrub_event(copy.deepcopy(event)))
    survey = scrub_and_survey(event)
    assert survey.subtrees[id(deep)][1] == 13
    assert trim_event(event, survey=survey) == expected
    assert expected["_trimmed"] == ["exception.values.0.stacktrace.frames.0.vars" + ".d" * 9]


def test_a_survey_over_the_limits_is_not_used():
    event = {"extra": {"s": "x" * 100}}
    survey = scrub_and_survey(event)
    trim_event(event, Limits(max_string=50), survey=survey)
    assert event["extra"]["s"] == "x" * 49 + ELLIPSIS
