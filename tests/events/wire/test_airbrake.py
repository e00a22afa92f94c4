"""Airbrake notices -> Sentry events, through the real normalize/grouping/titles."""

import pytest

from events.processing import grouping, normalize, titles
from events.wire import airbrake
from events.wire.refusal import Refusal
from tests.support.notices import BILLION_LAUGHS, EXTERNAL_ENTITY, HOPTOAD_XML, pybrake_notice

pytestmark = pytest.mark.one_pass


def canonical(notice: dict) -> dict:
    return normalize.normalize_event(airbrake.notice_to_event(notice), received=1_800_000_000.0)


def test_pybrake_chain_is_reversed_into_sentry_order():
    event = canonical(pybrake_notice())
    values = event["exception"]["values"]
    assert [v["type"] for v in values] == ["ValueError", "RuntimeError"]  # root cause first
    frames = values[0]["stacktrace"]["frames"]
    assert [f["function"] for f in frames] == ["call", "outer", "inner"]  # crashing frame last
    inner = frames[-1]
    assert inner["filename"] == "app.py" and inner["abs_path"] == "/PROJECT_ROOT/app.py"
    assert inner["lineno"] == 4 and inner["in_app"] is True
    assert inner["context_line"] == '    raise ValueError(f"boom {x}")'
    assert inner["pre_context"] == ["def inner(x):"] and inner["post_context"] == [""]
    assert frames[0]["in_app"] is False  # /SITE_PACKAGES/
    assert frames[0]["filename"] == "lib/run.py"


def test_pybrake_context_fields():
    event = canonical(pybrake_notice(version="2.0.1", component="orders", action="create",
                                     severity="critical", url="https://shop/orders"))  # fmt: skip
    assert event["environment"] == "staging" and event["release"] == "2.0.1"
    assert event["server_name"] == "vm" and event["platform"] == "python"
    assert event["level"] == "fatal"
    assert event["transaction"] == "orders#create"
    assert event["user"] == {"id": 7, "email": "a@example.com"}
    assert event["request"]["url"] == "https://shop/orders"
    assert event["request"]["data"]["sys_executable"] == "/usr/bin/python3"
    assert event["contexts"]["runtime"] == {"name": "Python", "version": "3.11.7"}
    assert event["sdk"] == {"name": "pybrake", "version": "1.10.1"}
    assert event["extra"]["context"]["rootDirectory"] == "/srv/app"
    assert ["component", "orders"] in event["tags"]


def test_title_culprit_and_grouping_follow_the_outermost_error():
    event = canonical(pybrake_notice())
    assert titles.event_title(event) == "RuntimeError: wrapped"
    assert titles.event_culprit(event) == "app.py in <module>"
    assert event["level"] == "error" and "request" not in event
    assert event["extra"]["params"]["sys_path"] == ["/srv/app"]
    same = canonical(pybrake_notice(hostname="other"))
    assert grouping.compute_grouping(event).hash == grouping.compute_grouping(same).hash
    notice = pybrake_notice()
    notice["errors"][1]["message"] = "boom 43"  # values do not count when frames do
    assert (
        grouping.compute_grouping(canonical(notice)).hash == grouping.compute_grouping(event).hash
    )
    notice["errors"][1]["type"] = "KeyError"
    assert (
        grouping.compute_grouping(canonical(notice)).hash != grouping.compute_grouping(event).hash
    )


def test_flat_user_fields_and_user_address():
    notice = pybrake_notice(userId="9", userEmail="z@example.com", userAddr="10.0.0.1")
    del notice["context"]["user"]
    assert canonical(notice)["user"] == {
        "id": "9",
        "email": "z@example.com",
        "ip_address": "10.0.0.1",
    }


def test_minimal_notice_without_backtrace_or_context():
    event = canonical({"errors": [{"type": "Error", "message": "x"}]})
    assert titles.event_title(event) == "Error: x" and event["platform"] == "other"


BAD_NOTICES = [
    ("not an object", [1, 2], "the notice must be a JSON object"),
    ("no errors", {"context": {}}, "errors must be a non-empty list"),
    ("empty errors", {"errors": []}, "errors must be a non-empty list"),
    ("errors not a list", {"errors": {"type": "X"}}, "errors must be a non-empty list"),
    ("error not an object", {"errors": ["boom"]}, "errors[0] must be an object"),
    ("no type nor message", {"errors": [{"backtrace": []}]}, "errors[0] needs a type or a message"),
    ("type not a string", {"errors": [{"type": 5, "message": "x"}]}, "errors[0].type must be a string"),
    ("backtrace not a list", {"errors": [{"type": "X", "backtrace": "a.py:1"}]}, "errors[0].backtrace must be a list"),
    ("frame not an object", {"errors": [{"type": "X", "backtrace": [None]}]}, "errors[0].backtrace[0] must be an object"),
    ("line not an integer", {"errors": [{"type": "X", "backtrace": [{"file": "a", "line": "ten"}]}]},
     "errors[0].backtrace[0].line must be an integer"),
    ("line a boolean", {"errors": [{"type": "X", "backtrace": [{"file": "a", "line": True}]}]},
     "errors[0].backtrace[0].line must be an integer"),
    ("code not an object", {"errors": [{"type": "X", "backtrace": [{"file": "a", "line": 1, "code": "x"}]}]},
     "errors[0].backtrace[0].code must be an object"),
    ("code keys not line numbers", {"errors": [{"type": "X", "backtrace": [{"line": 1, "code": {"a": "b"}}]}]},
     "code must map line numbers to strings"),
    ("context not an object", {"errors": [{"type": "X"}], "context": "prod"}, "context must be an object"),
    ("environment a list", {"errors": [{"type": "X"}], "context": {"environment": ["a"]}},
     "context.environment must be a string"),
    ("user not an object", {"errors": [{"type": "X"}], "context": {"user": "bob"}}, "context.user must be an object"),
    ("params not an object", {"errors": [{"type": "X"}], "params": [1]}, "params must be an object"),
]  # fmt: skip


@pytest.mark.parametrize("name, notice, message", BAD_NOTICES, ids=[b[0] for b in BAD_NOTICES])
def test_bad_notices_name_the_field(name, notice, message):
    with pytest.raises(Refusal) as info:
        airbrake.notice_to_event(notice)
    assert message in info.value.detail and info.value.status == 400


def test_line_numbers_as_strings_are_accepted():
    event = airbrake.notice_to_event(
        {"errors": [{"type": "X", "backtrace": [{"file": "a.rb", "line": "12"}]}]}
    )
    assert event["exception"]["values"][0]["stacktrace"]["frames"][0]["lineno"] == 12


def test_hoptoad_xml_maps_like_a_v3_notice():
    key, notice = airbrake.xml_to_notice(HOPTOAD_XML.replace(b"{key}", b"k123"))
    assert key == "k123"
    event = canonical(notice)
    exc = event["exception"]["values"][0]
    assert exc["type"] == "RuntimeError" and exc["value"] == "boom"  # class prefix removed
    frames = exc["stacktrace"]["frames"]
    assert [f["function"] for f in frames] == ["process", "create", "save"]
    assert frames[-1]["filename"] == "app/models/user.rb" and frames[-1]["in_app"] is True
    assert frames[0]["in_app"] is False
    assert event["platform"] == "ruby" and event["transaction"] == "users#create"
    assert event["environment"] == "production" and event["release"] == "1.2.3"
    assert event["request"]["data"] == {"id": "1", "user": {"name": "bob"}}
    assert event["extra"]["session"] == {"token": "abc"}
    assert event["user"] == {"id": "5", "email": "u@example.com"}
    assert titles.event_title(event) == "RuntimeError: boom"
    assert titles.event_culprit(event) == "users#create"


@pytest.mark.parametrize("body, status, message", [
    (BILLION_LAUGHS, 400, "DTD or entity"),
    (EXTERNAL_ENTITY, 400, "DTD or entity"),
    (b"<notice><error>", 422, "not well-formed"),
    (b"\xff\xfe garbage", 422, "not well-formed"),
    (b"<other/>", 400, "root element must be <notice>"),
    (b"<notice><api-key>k</api-key></notice>", 400, "<error> is missing"),
    (b'<notice><error><class>X</class><backtrace><line number="x" file="a"/></backtrace></error></notice>',
     400, "line numbers must be integers"),
])  # fmt: skip
def test_hostile_xml(body, status, message):
    with pytest.raises(Refusal) as info:
        airbrake.xml_to_notice(body.replace(b"{key}", b"k"))
    assert info.value.status == status and message in info.value.detail


@pytest.mark.parametrize("language, notifier, files, platform", [
    ("Python/3.11.7", "pybrake", [], "python"),
    (None, "airbrake-js/browser", ["https://shop/app.js"], "javascript"),
    ("node/20.1", "airbrake-js/node", [], "node"),
    ("ruby/3.2", "airbrake-ruby", [], "ruby"),
    (None, "gobrake", [], "go"),
    (None, "airbrake-django-ish", ["/PROJECT_ROOT/views.py"], "python"),
    (None, "phpbrake", ["/srv/index.php"], "php"),
    (None, "custom", ["Main.java"], "java"),
    (None, "custom", ["a.unknown"], "other"),
])  # fmt: skip
def test_platform_from_language_notifier_or_files(language, notifier, files, platform):
    context = {"notifier": {"name": notifier}}
    if language:
        context["language"] = language
    notice = {"errors": [{"type": "E", "backtrace": [{"file": f, "line": 1} for f in files]}],
              "context": context}  # fmt: skip
    assert airbrake.notice_to_event(notice)["platform"] == platform
