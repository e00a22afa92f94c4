"""Pure parts: short ids, cursors, Link headers, entries."""

from datetime import UTC, datetime

import pytest

from api import cursors, shapes
from events.issues.pagination import Page

pytestmark = pytest.mark.one_pass


@pytest.mark.parametrize(
    "slug, number, text",
    [("backend", 1, "BACKEND-1"), ("web-shop", 42, "WEB-SHOP-42"), ("api-2", 7, "API-2-7")],
)
def test_short_ids_are_the_slug_and_the_project_number_and_parse_back(slug, number, text):
    assert shapes.short_id(slug, number) == text
    assert shapes.parse_short_id(text) == (slug, number)
    assert shapes.parse_short_id(text.lower()) == (slug, number)


def test_parse_short_id_refuses_non_ids():
    for text in ("BACKEND", "-1", "BACKEND-", "BACKEND-1A", "BACKEND-" + "1" * 16, "a b-1"):
        assert shapes.parse_short_id(text) is None


def test_cursors_round_trip_datetimes_and_counts():
    moment = datetime(2026, 11, 27, 10, 2, 3, 101000, tzinfo=UTC)
    internal = f"n~{moment.isoformat()}~17"
    api = cursors.from_internal(internal)
    assert api == f"{int(moment.timestamp()) * 1_000_000 + 101000}:17:0"
    assert cursors.to_internal(api, is_datetime=True) == internal
    assert cursors.from_internal("p~42~9") == "42:9:1"
    assert cursors.to_internal("42:9:1", is_datetime=False) == "p~42~9"
    assert cursors.to_internal("", is_datetime=True) is None


@pytest.mark.parametrize("bad", ["x", "1:2", "1:2:3", "a:b:0", "1:2:0:4", "1 :2:0"])
def test_malformed_cursors_are_refused(bad):
    with pytest.raises(cursors.BadCursor):
        cursors.to_internal(bad, is_datetime=True)


def test_link_header_always_has_both_relations():
    page = Page(items=[1], next_cursor="n~5~3", prev_cursor=None)
    header = cursors.link_header("http://h/api/0/x/", {"query": [""]}, page)
    previous, following = header.split(", ")
    assert previous == ('<http://h/api/0/x/?query=&cursor=0%3A0%3A1>; rel="previous"; '
                        'results="false"; cursor="0:0:1"')  # fmt: skip
    assert following.endswith('rel="next"; results="true"; cursor="5:3:0"')


def test_entries_from_a_normalized_payload():
    data = {"logentry": {"formatted": "hi"}, "exception": {"values": [{"type": "E"}]},
            "breadcrumbs": None, "request": {"url": "http://x"}}  # fmt: skip
    assert [e["type"] for e in shapes.entries(data)] == ["message", "exception", "request"]
    assert shapes.tag_pairs({"a": 1}) == [{"key": "a", "value": "1"}]
    assert shapes.tag_pairs([["a", "b"], "junk"]) == [{"key": "a", "value": "b"}]
    assert shapes.tag_pairs(None) == []
