"""The pure parts: map parsing through symbolic (plain and index maps, ignore lists, broken
maps), frame URL matching, path rules and bundle path checks."""

import json
from pathlib import Path

import pytest

from sourcemaps import maps, symbolicate
from sourcemaps.bundle import normalize_debug_id, safe_path

pytestmark = pytest.mark.one_pass

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sourcemaps"
APP_JS = (FIXTURES / "app.js").read_bytes()
APP_MAP = (FIXTURES / "app.js.map").read_bytes()


@pytest.mark.parametrize("with_source", [True, False])
def test_plain_map_gives_original_place_function_and_context(with_source):
    mapper = maps.Mapper(APP_MAP, APP_JS if with_source else None)
    token = mapper.lookup(1, 38)
    assert (token.src, token.line) == ("../src/math.ts", 3)
    assert token.context_line.strip().startswith("throw new Error")
    assert token.pre_context[-1].strip() == "if (denominator === 0) {"
    if with_source:  # scopes need the minified source: the enclosing function's own name
        assert token.function == "divide"
        assert mapper.lookup(1, 148).function == "Checkout.total"
    assert mapper.lookup(7, 1) is None


def test_index_maps_are_read():
    index = json.dumps({"version": 3, "sections": [
        {"offset": {"line": 0, "column": 0}, "map": json.loads(APP_MAP)},
        {"offset": {"line": 5, "column": 0}, "map": json.loads(APP_MAP)},
    ]}).encode()  # fmt: skip
    source = APP_JS + b"\n" * 5 + APP_JS
    for mapper in (maps.Mapper(index, None), maps.Mapper(index, source)):
        assert (mapper.lookup(1, 38).src, mapper.lookup(1, 38).line) == ("../src/math.ts", 3)
        assert (mapper.lookup(6, 38).src, mapper.lookup(6, 38).line) == ("../src/math.ts", 3)


def test_ignore_list_marks_sources_as_not_in_app():
    info = json.loads(APP_MAP)
    info["x_google_ignoreList"] = [0]
    mapper = maps.Mapper(json.dumps(info).encode(), APP_JS)
    assert mapper.ignored == {"../src/math.ts"}
    frame = {"filename": "x.js", "lineno": 1, "colno": 38, "in_app": True}
    mapped = symbolicate._mapped_frame(
        frame, mapper.lookup(1, 38), "~/app.js.map", mapper.ignored, "debug-id"
    )
    assert mapped["in_app"] is False and mapped["filename"] == "src/math.ts"


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1]",
        b'{"version":3,"sources":["a"],"mappings":"!!!"}',
        b'{"sections":[{"map":5}]}',
    ],
)
def test_broken_maps_raise_map_error_with_the_parser_message(data):
    with pytest.raises(maps.MapError) as caught:
        maps.Mapper(data, APP_JS)
    assert str(caught.value)


def test_inline_data_url():
    import base64

    url = "data:application/json;base64," + base64.b64encode(APP_MAP).decode()
    assert maps.data_url(url) == APP_MAP
    assert maps.data_url("app.js.map") is None


def test_url_candidates_follow_tilde_matching():
    assert symbolicate.url_candidates("https://cdn.example.com/js/app.js?v=3#x") == (
        "https://cdn.example.com/js/app.js?v=3#x", "https://cdn.example.com/js/app.js",
        "~/js/app.js?v=3", "~/js/app.js")  # fmt: skip
    assert symbolicate.url_candidates("app:///dist/index.js")[-1] == "~/dist/index.js"
    assert symbolicate.url_candidates("/srv/app/dist/index.js")[-1] == "~/srv/app/dist/index.js"


@pytest.mark.parametrize(
    "base, target, resolved",
    [
        ("~/dist/app.js.map", "../src/app.ts", "~/src/app.ts"),
        ("~/app.js.map", "../../../etc/x.ts", "~/etc/x.ts"),
        (
            "https://cdn.example.com/js/app.js",
            "app.js.map",
            "https://cdn.example.com/js/app.js.map",
        ),
        ("~/app.js.map", "webpack://shop/./src/a.ts", "webpack://shop/./src/a.ts"),
    ],
)
def test_resolve(base, target, resolved):
    assert symbolicate.resolve(base, target) == resolved


@pytest.mark.parametrize(
    "path, app",
    [
        ("webpack://shop/./src/a.ts", True),
        ("webpack:///./~/react/index.js", False),
        ("~/node_modules/@sentry/core/x.js", False),
        ("https://cdn.example.com/node_modules/lib.js", False),
        ("~/src/app.ts", True),
    ],
)
def test_in_app_rules(path, app):
    assert symbolicate.in_app(path) is app


def test_display_path():
    assert symbolicate.display_path("webpack://shop/./src/a.ts") == "src/a.ts"
    assert symbolicate.display_path("~/src/app.ts") == "src/app.ts"
    assert symbolicate.display_path("https://x.example/js/a.ts") == "js/a.ts"


@pytest.mark.parametrize(
    "path, ok",
    [("files/_/_/a.js", True), ("../a.js", False), ("/etc/passwd", False), ("a/../../b", False),
     ("C:/x", False), ("a\\..\\b", False), ("files/./a", False)],
)  # fmt: skip
def test_safe_paths(path, ok):
    assert safe_path(path) is ok


def test_debug_ids_are_normalized():
    assert (
        normalize_debug_id("2F536DE600B85378BC5F9C68EF061032")
        == "2f536de6-00b8-5378-bc5f-9c68ef061032"
    )
    assert normalize_debug_id("nope") == ""
