"""Pure helpers: chart geometry and what the event template gets."""

from datetime import UTC, datetime

import pytest

from events.issues import charts
from events.issues.presenters import present_event

pytestmark = pytest.mark.one_pass

NOW = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def test_hourly_and_daily_buckets():
    counts = {datetime(2025, 3, 1, 12, tzinfo=UTC): 5, datetime(2025, 3, 1, 1, tzinfo=UTC): 2,
              datetime(2025, 2, 28, 23, tzinfo=UTC): 1}  # fmt: skip
    hours = charts.hourly_buckets(counts, end=NOW, hours=24)
    assert len(hours) == 24 and hours[-1] == (datetime(2025, 3, 1, 12, tzinfo=UTC), 5)
    assert sum(c for _, c in hours) == 8
    days = charts.daily_buckets(counts, end=NOW, days=30)
    assert len(days) == 30 and days[-1][1] == 7 and days[-2][1] == 1


def test_sparkline_and_bars_scale_to_the_peak():
    spark = charts.sparkline([0, 5, 10], width=100, height=20)
    assert spark.line == "0.0,19.0 50.0,10.0 100.0,1.0" and spark.total == 15
    assert charts.sparkline([]).line == "" and charts.sparkline([0, 0]).peak == 0
    chart = charts.bar_chart([(NOW, 0), (NOW, 1000), (NOW, 1)], width=300, height=100)
    assert [b.h for b in chart.bars] == [0, 99.0, 1.0] and chart.bars[1].x == 100.0


def test_present_event_frames_context_and_chain():
    data = {
        "exception": {"values": [
            {"type": "KeyError", "value": "cause", "stacktrace": {"frames": [{"function": "a", "in_app": True}]}},
            {"type": "RuntimeError", "value": "outer", "mechanism": {"type": "generic", "handled": False},
             "stacktrace": {"frames": [
                 {"function": "lib", "filename": "site-packages/lib.py", "in_app": False},
                 {"function": "view", "filename": "app/views.py", "lineno": 12, "in_app": True,
                  "context_line": "x()", "pre_context": ["a", "b"], "post_context": ["c"], "vars": {"n": 1}},
             ]}},
        ]},
        "request": {"url": "https://x/", "query_string": "a=1&b=2", "headers": [["Accept", "*/*"]], "data": {"k": 1}},
        "breadcrumbs": {"values": [{"timestamp": "2025-03-01T12:00:00Z", "message": "hi"}]},
        "tags": [["env", "prod"]],
    }  # fmt: skip
    shown = present_event(data)
    outer = shown["exceptions"][1]
    assert [e["type"] for e in shown["exceptions"]] == ["KeyError", "RuntimeError"]
    assert outer["handled"] is False and outer["stack"]["frames"][1]["expanded"]
    assert outer["stack"]["frames"][1]["context"] == [
        (10, "a", False),
        (11, "b", False),
        (12, "x()", True),
        (13, "c", False),
    ]
    assert outer["stack"]["frames"][1]["vars"] == [("n", "1")]
    newest = present_event(data, newest_first=True, app_only=True)
    assert newest["exceptions"][0]["type"] == "RuntimeError"
    assert [f["function"] for f in newest["exceptions"][0]["stack"]["frames"]] == ["view"]
    assert newest["exceptions"][0]["stack"]["hidden"] == 1
    assert (
        shown["request"]["query"] == [("a", "1"), ("b", "2")]
        and shown["request"]["body"] == '{\n  "k": 1\n}'
    )
    assert shown["breadcrumbs"][0]["when"] == datetime(2025, 3, 1, 12, tzinfo=UTC)
    assert shown["tags"] == [("env", "prod")]
    assert present_event({})["exceptions"] == [] and present_event(None)["request"] is None


def test_frame_variables_show_the_sdks_own_text():
    from events.issues.presenters import sdk_text

    # sentry-python sends each value as its repr, nested in JSON.
    row = {"sku": "'A1'", "qty": "10", "tags": ["'x'", "'y'"], "ok": True, "none": None}
    assert sdk_text(row) == "{'sku': 'A1', 'qty': 10, 'tags': ['x', 'y'], 'ok': True, 'none': None}"
    assert sdk_text("'A1'") == "'A1'" and sdk_text(10) == "10"
    long = sdk_text({f"key{i}": f"'{'v' * 10}'" for i in range(6)})
    assert long.startswith("{\n  'key0': 'vvvvvvvvvv',\n") and long.endswith("\n}")
