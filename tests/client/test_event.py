"""LogRecord -> event: what the handler puts in, and how the server reads it."""

import logging
import sys

import pytest
from aggregator_client import AggregatorHandler
from aggregator_client.event import InApp, build_event, exception_chain, level_name, shrink

from events.processing import grouping, normalize, titles

pytestmark = pytest.mark.one_pass

log = logging.getLogger("tests.client")


def record(msg="hello %s", args=("bob",), level=logging.ERROR, exc_info=None, **extra):
    return log.makeRecord(
        "tests.client", level, __file__, 42, msg, args, exc_info, "fn", extra or None
    )


def parse_amount(text):
    try:
        return 100 / int(text)
    except ZeroDivisionError as exc:
        raise ValueError(f"invalid amount {text!r}") from exc


def chained_exc_info():
    try:
        parse_amount("0")
    except ValueError:
        return sys.exc_info()


def event_of(rec, **kwargs):
    kwargs.setdefault("in_app", InApp())
    return build_event(rec, **kwargs)


def server_view(event):
    canonical = normalize.normalize_event(event, received=event["timestamp"])
    return canonical, titles.event_title(canonical), titles.event_culprit(canonical)


def test_message_with_params_keeps_template_and_formats():
    event = event_of(record())
    assert event["logentry"] == {"message": "hello %s", "formatted": "hello bob", "params": ["bob"]}
    assert event["level"] == "error" and event["logger"] == "tests.client"
    assert event["platform"] == "python" and len(event["event_id"]) == 32
    canonical, title, _ = server_view(event)
    assert title == "hello bob"
    other = event_of(record(args=("alice",)))
    assert (
        grouping.compute_grouping(canonical).hash
        == grouping.compute_grouping(server_view(other)[0]).hash
    )  # grouped by template
    different = event_of(record("bye %s"))
    assert (
        grouping.compute_grouping(server_view(different)[0]).hash
        != grouping.compute_grouping(canonical).hash
    )


def test_dict_args_non_json_params_and_bad_format():
    event = event_of(record("%(user)s paid %(n)d", ({"user": "bob", "n": 3},)))
    assert event["logentry"]["params"] == {"user": "bob", "n": 3}
    assert event["logentry"]["formatted"] == "bob paid 3"
    event = event_of(record("at %s", (object(),)))
    assert event["logentry"]["params"][0].startswith("<object object at")
    event = event_of(record("two %s %s", ("only one",)))  # would raise in logging itself
    assert event["logentry"]["formatted"].startswith("two %s %s")
    event = event_of(record(ValueError("not a string"), ()))
    assert event["logentry"]["message"] == "not a string"


def test_chained_exception_oldest_first_with_frames_and_context():
    event = event_of(record("payment failed", (), exc_info=chained_exc_info()))
    values = event["exception"]["values"]
    assert [v["type"] for v in values] == ["ZeroDivisionError", "ValueError"]
    assert values[1]["value"] == "invalid amount '0'" and "module" not in values[1]
    frames = values[1]["stacktrace"]["frames"]
    assert [f["function"] for f in frames] == ["chained_exc_info", "parse_amount"]
    crash = frames[-1]
    assert crash["module"] == "tests.client.test_event"
    assert crash["filename"] == "tests/client/test_event.py"
    assert crash["abs_path"] == __file__ and crash["in_app"] is True
    assert crash["context_line"].strip() == 'raise ValueError(f"invalid amount {text!r}") from exc'
    assert len(crash["pre_context"]) == 5 and len(crash["post_context"]) == 5
    assert values[0]["stacktrace"]["frames"][-1]["context_line"].strip() == "return 100 / int(text)"
    canonical, title, culprit = server_view(event)
    assert title == "ValueError: invalid amount '0'"
    assert culprit == "tests.client.test_event in parse_amount"


def test_library_frames_are_not_in_app():
    try:
        import json

        json.loads("{")
    except ValueError:
        exc_info = sys.exc_info()
    frames = event_of(record(exc_info=exc_info))["exception"]["values"][-1]["stacktrace"]["frames"]
    assert frames[0]["in_app"] is True
    assert frames[-1]["module"].startswith("json") and frames[-1]["in_app"] is False
    included = event_of(record(exc_info=exc_info), in_app=InApp(include=["json"]))
    assert included["exception"]["values"][-1]["stacktrace"]["frames"][-1]["in_app"] is True
    rooted = event_of(record(exc_info=exc_info), in_app=InApp(project_root="/nowhere"))
    assert not any(f["in_app"] for f in rooted["exception"]["values"][-1]["stacktrace"]["frames"])


def test_context_suppressed_and_cyclic_chains():
    try:
        try:
            raise KeyError("a")
        except KeyError:
            raise ValueError("b") from None
    except ValueError as exc:
        assert [type(e) for e in exception_chain(exc)] == [ValueError]
    first, second = ValueError("x"), TypeError("y")
    first.__cause__, second.__cause__ = second, first
    assert len(exception_chain(first)) == 2


def test_exc_info_outside_an_except_block():
    event = event_of(record(exc_info=(None, None, None)))
    assert "exception" not in event


@pytest.mark.parametrize("levelno, name", [(5, "debug"), (10, "debug"), (20, "info"), (25, "info"),
                                           (30, "warning"), (40, "error"), (50, "fatal"), (60, "fatal")])  # fmt: skip
def test_levels(levelno, name):
    assert level_name(levelno) == name


def test_extra_tags_fingerprint_user_and_defaults():
    rec = record(tags={"tenant": "acme", "n": 3}, fingerprint=["payments", 1], user={"id": 9},
                 order={"id": 5, "items": [object()]})  # fmt: skip
    event = event_of(rec, release="shop@1.4", environment="staging", server_name="web-1",
                     tags={"team": "pay"}, project_id=12)  # fmt: skip
    assert event["tags"] == {"team": "pay", "tenant": "acme", "n": "3"}
    assert event["fingerprint"] == ["payments", "1"]
    assert event["user"] == {"id": 9}
    assert event["extra"]["order"]["id"] == 5 and event["extra"]["order"]["items"][0].startswith(
        "<"
    )
    assert event["extra"]["location"].endswith("test_event.py:42 in fn")
    assert (event["release"], event["environment"], event["server_name"]) == (
        "shop@1.4",
        "staging",
        "web-1",
    )
    assert event["project"] == "12"
    canonical, _, _ = server_view(event)
    assert ["tenant", "acme"] in canonical["tags"] and canonical["fingerprint"] == ["payments", "1"]


def test_release_and_environment_from_the_environment(monkeypatch):
    monkeypatch.setenv("SENTRY_RELEASE", "r-env")
    monkeypatch.setenv("AGGREGATOR_ENVIRONMENT", "env-env")
    handler = AggregatorHandler("udp://k@127.0.0.1:9/1")
    event = handler.build_event(record())
    assert event["release"] == "r-env" and event["environment"] == "env-env"
    assert event["server_name"]
    explicit = AggregatorHandler("udp://k@127.0.0.1:9/1", release="r-arg")
    assert explicit.build_event(record())["release"] == "r-arg"
    handler.close()
    explicit.close()


def test_shrink_keeps_what_groups():
    def deep(n):
        if n == 0:
            raise RuntimeError("deep")
        deep(n - 1)

    try:
        deep(60)
    except RuntimeError:
        event = event_of(record(exc_info=sys.exc_info()))
    small = shrink(event)
    frames = small["exception"]["values"][0]["stacktrace"]["frames"]
    assert len(frames) == 30 and "pre_context" not in frames[-1] and frames[-1]["context_line"]
    assert frames[-1] == {k: v for k, v in event["exception"]["values"][0]["stacktrace"]["frames"][-1].items()
                          if k not in ("pre_context", "post_context")}  # fmt: skip
