"""Grouping v1 (events/processing/grouping/v1.py): corpus of real SDK shapes plus one table per
rule, and the corpus hashes on record, which no change of a version may alter."""

import json
from itertools import combinations
from pathlib import Path

import pytest

from events.processing.grouping import GROUPING_VERSION, GroupingResult, compute_grouping
from events.processing.normalize import normalize_event
from tests.events.processing import freeze_grouping

pytestmark = pytest.mark.one_pass

CORPUS_DIR = Path(__file__).parent / "grouping_corpus"
RECEIVED = 1795773403.0


def _load_corpus() -> dict[str, dict]:
    groups = {}
    for path in sorted(CORPUS_DIR.glob("*.json")):
        for group in json.loads(path.read_text())["groups"]:
            groups[f"{path.stem}/{group['name']}"] = group
    return groups


CORPUS = _load_corpus()


def group_of(payload: dict) -> GroupingResult:
    return compute_grouping(normalize_event(payload, received=RECEIVED))


@pytest.fixture(scope="module")
def corpus_results() -> dict[str, dict[str, GroupingResult]]:
    return {
        gid: {e["name"]: group_of(e["payload"]) for e in group["events"]}
        for gid, group in CORPUS.items()
    }


# --- corpus ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", sorted(freeze_grouping.recorded()))
def test_recorded_hashes_do_not_change(version):
    """An issue's events keep meeting it: a version's hashes are frozen once recorded."""
    recorded = freeze_grouping.recorded()[version]
    current = freeze_grouping.current_hashes(version)
    changed = {k: (v, current.get(k)) for k, v in recorded.items() if current.get(k) != v}
    assert not changed, f"grouping {version} changed these hashes (recorded, now): {changed}"


def test_every_corpus_event_has_a_recorded_hash():
    missing = set(freeze_grouping.corpus_events()) - set(
        freeze_grouping.recorded()[GROUPING_VERSION]
    )
    assert not missing, (
        f"run `python -m tests.events.processing.freeze_grouping` to record {sorted(missing)}"
    )


def test_corpus_covers_the_sdks_it_claims():
    events = [e["payload"] for g in CORPUS.values() for e in g["events"]]
    platforms = {e.get("platform") for e in events}
    assert len(events) >= 40
    assert {"python", "javascript", "node", "java", "go", "ruby", "csharp", "php"} <= platforms
    assert sum(len(g["events"]) > 1 for g in CORPUS.values()) >= 20  # real "must share" groups


@pytest.mark.parametrize("group_id", sorted(CORPUS))
def test_events_of_a_group_share_one_hash(group_id, corpus_results):
    results = corpus_results[group_id]
    hashes = {r.hash for r in results.values()}
    detail = {name: r.components for name, r in results.items()}
    assert len(hashes) == 1, f"{CORPUS[group_id]['why']}\n{json.dumps(detail, indent=1)}"


def test_different_groups_never_share_a_hash(corpus_results):
    first = {gid: next(iter(results.values())) for gid, results in corpus_results.items()}
    clashes = [
        (a, b, first[a].components)
        for a, b in combinations(sorted(first), 2)
        if first[a].hash == first[b].hash
    ]
    assert clashes == []


MUST_DIFFER = [
    ("python/python_zero_division_in_pricing", "python/python_type_error_same_frames", "type"),
    ("python/python_zero_division_in_pricing", "python/python_zero_division_other_view", "function"),
    ("python/python_chained_value_from_zero_division", "python/python_bare_value_error", "chain"),
    ("messages/logging_failed_for_user", "messages/logging_failed_for_admin", "template"),
    ("messages/message_with_identifiers", "messages/message_other_template", "wording"),
    ("javascript/js_type_error_in_handle_click", "javascript/js_type_error_in_submit_order", "fn"),
    ("javascript/js_minified_anonymous", "javascript/js_minified_anonymous_other_message", "value"),
    ("java/java_npe_in_order_total", "java/java_illegal_state_in_order_total", "type"),
    ("go/go_no_rows_in_invoice", "go/go_url_error_in_invoice", "type"),
    ("ruby/ruby_no_method_in_users_show", "ruby/ruby_argument_error_in_users_show", "type"),
    ("dotnet/dotnet_null_reference_in_load", "dotnet/dotnet_invalid_operation_in_load", "type"),
    ("php/php_type_error_in_register", "php/php_value_error_in_register", "type"),
    ("no_stack/no_stack_timeout", "no_stack/no_stack_timeout_other_type", "type"),
    ("no_stack/no_stack_timeout", "no_stack/no_stack_value_differs", "value"),
    ("fingerprints/hybrid_default_plus_tenant_acme", "fingerprints/hybrid_default_plus_tenant_globex", "tag"),
    ("fingerprints/hybrid_default_plus_tenant_acme", "fingerprints/default_grouping_of_the_fingerprinted_error", "hybrid"),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b", "reason"), MUST_DIFFER)
def test_named_pairs_differ(a, b, reason, corpus_results):
    hash_a = next(iter(corpus_results[a].values())).hash
    hash_b = next(iter(corpus_results[b].values())).hash
    assert hash_a != hash_b, reason


# --- result and versioning -------------------------------------------------------------------


def test_result_is_versioned_md5_and_deterministic():
    payload = CORPUS["python/python_zero_division_in_pricing"]["events"][0]["payload"]
    first, second = group_of(payload), group_of(payload)
    assert first == second
    assert first.version == GROUPING_VERSION == "v1"
    assert len(first.hash) == 32 and set(first.hash) <= set("0123456789abcdef")
    assert isinstance(first.components, tuple) and first.components[0] == "exception"


def test_unknown_version_is_rejected():
    with pytest.raises(ValueError, match="v999"):
        compute_grouping({}, version="v999")


def test_components_of_a_small_python_error():
    frame = {"module": "app", "function": "inner", "lineno": 9, "context_line": "  return 1 / x"}
    event = exc_event("python", [dict(frame, in_app=True)], "ZeroDivisionError", "division by zero")
    assert group_of(event).components == (
        "exception",
        "app",
        "inner",
        "return 1 / x",
        "ZeroDivisionError",
    )


# --- frame rules ----------------------------------------------------------------------------


def exc_event(platform, frames, exc_type="Error", value="boom", **exc):
    return {
        "platform": platform,
        "exception": {
            "values": [dict(type=exc_type, value=value, stacktrace={"frames": frames}, **exc)]
        },
    }


def app(**frame):
    return dict(frame, in_app=True)


FRAME_CASES = [
    # (case, platform, frame a, frame b, same group?)
    ("line numbers ignored", "python", app(module="m", function="f", lineno=1, context_line="x()"), app(module="m", function="f", lineno=99, context_line="x()"), True),
    ("context line counts", "python", app(module="m", function="f", context_line="x()"), app(module="m", function="f", context_line="y()"), False),
    ("context whitespace collapsed", "python", app(module="m", function="f", context_line="\tx(  1 )"), app(module="m", function="f", context_line="    x( 1 )"), True),
    ("context over 120 chars ignored", "node", app(module="m", function="f", context_line="a" * 121), app(module="m", function="f", context_line="b" * 121), True),
    ("no context for java", "java", app(module="com.A", function="f", context_line="a();"), app(module="com.A", function="f", context_line="b();"), True),
    ("no context for go", "go", app(module="main", function="f", context_line="a()"), app(module="main", function="f", context_line="b()"), True),
    ("module wins over filename", "python", app(module="m", function="f", filename="a.py"), app(module="m", function="f", filename="b.py"), True),
    ("module counts", "python", app(module="m1", function="f"), app(module="m2", function="f"), False),
    ("filename basename lowercased", "ruby", app(filename="app/Models/User.rb", function="save"), app(filename="/srv/app/models/user.rb", function="save"), True),
    ("filename counts without module", "ruby", app(filename="user.rb", function="save"), app(filename="post.rb", function="save"), False),
    ("url filename ignored", "javascript", app(filename="https://cdn.example.com/a.1f.js", function="go"), app(filename="https://cdn.example.com/a.2e.js", function="go"), True),
    ("js text after last dot", "javascript", app(filename="/x.js", function="HTMLButtonElement.onClick"), app(filename="/x.js", function="onClick"), True),
    ("js [as alias] and async", "node", app(module="m", function="async Router.handle [as handle_request]"), app(module="m", function="handle"), True),
    ("js ? ignored", "node", app(module="m", function="Object.?"), app(module="m", function="<anonymous>"), True),
    ("js firefox anonymous", "javascript", app(filename="/x.js", function="init/<"), app(filename="/x.js", function="Anonymous function"), True),
    ("js function counts", "javascript", app(filename="/x.js", function="a"), app(filename="/x.js", function="b"), False),
    ("java lambda ignored", "java", app(module="com.A", function="lambda$run$0"), app(module="com.A", function="lambda$run$3"), True),
    ("java cglib stripped", "java", app(module="com.A$$EnhancerBySpringCGLIB$$1f2e", function="f"), app(module="com.A", function="f"), True),
    ("java $$Lambda$ module ignored", "java", app(module="com.A$$Lambda$12/0x80", function="apply"), app(module="com.A$$Lambda$99/0x81", function="apply"), True),
    ("java generated accessor", "java", app(module="jdk.internal.reflect.GeneratedMethodAccessor12", function="invoke"), app(module="jdk.internal.reflect.GeneratedMethodAccessor7", function="invoke"), True),
    ("ruby block levels", "ruby", app(filename="a.rb", function="block in run"), app(filename="a.rb", function="block (3 levels) in run"), True),
    ("php closure ignored", "php", app(filename="a.php", function="App\\{closure}", context_line="x();"), app(filename="a.php", function="App\\Foo::{closure}", context_line="x();"), True),
    ("php anonymous class", "php", app(filename="a.php", function="class@anonymous/in/a.php:3$0::run"), app(filename="a.php", function="class@anonymous/in/a.php:9$1::run"), True),
    ("dotnet compiler numbering", "csharp", app(module="A+<Run>d__5", function="<Run>b__5_0"), app(module="A+<Run>d__9", function="<Run>b__9_1"), True),
    ("go function as given", "go", app(module="acme/store", function="(*Store).Get"), app(module="acme/store", function="(*Store).Put"), False),
    ("native placeholders ignored", "native", app(function="<redacted>", package="/usr/lib/a"), app(function="<unknown>", package="/usr/lib/a"), True),
    ("lineno fallback for bare frames", "python", app(filename="gen.py", lineno=3), app(filename="gen.py", lineno=4), False),
    ("no fallback with a function", "python", app(filename="gen.py", function="f", lineno=3), app(filename="gen.py", function="f", lineno=4), True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("platform", "frame_a", "frame_b", "same"),
    [case[1:] for case in FRAME_CASES],
    ids=[case[0] for case in FRAME_CASES],
)
def test_frame_rules(platform, frame_a, frame_b, same):
    anchor = app(
        module="anchor", function="main"
    )  # keeps the stack contributing when a frame does not
    hash_a = group_of(exc_event(platform, [anchor, frame_a])).hash
    hash_b = group_of(exc_event(platform, [anchor, frame_b])).hash
    assert (hash_a == hash_b) is same


@pytest.mark.parametrize(
    ("platform", "skipped"),
    [
        ("javascript", app(filename="/x.js", function="eval")),
        ("javascript", app(abs_path="[native code]", function="forEach")),
        ("node", app(filename="<anonymous>", function="run")),
    ],
)
def test_js_frames_that_are_skipped(platform, skipped):
    anchor = app(filename="/x.js", function="main")
    assert group_of(exc_event(platform, [anchor, skipped])) == group_of(
        exc_event(platform, [anchor])
    )


def test_recursive_frames_count_once():
    frame = app(module="tree", function="walk", lineno=5, context_line="walk(c)")
    assert group_of(exc_event("python", [frame] * 2)) == group_of(exc_event("python", [frame] * 9))


# --- exception rules ------------------------------------------------------------------------


def test_app_variant_ignores_system_frames():
    crash = app(module="shop", function="pay")
    lib_a = {"module": "lib", "function": "a", "in_app": False}
    lib_b = {"module": "lib", "function": "b"}  # missing in_app counts as false
    assert group_of(exc_event("python", [lib_a, crash])) == group_of(
        exc_event("python", [lib_b, crash])
    )


def test_system_variant_when_no_frame_is_in_app():
    lib_a = {"module": "lib", "function": "a", "in_app": False}
    lib_b = {"module": "lib", "function": "b", "in_app": False}
    assert group_of(exc_event("python", [lib_a])) != group_of(exc_event("python", [lib_b]))
    assert group_of(exc_event("python", [lib_a])).components == ("exception", "lib", "a", "Error")


def test_value_counts_only_without_contributing_frames():
    with_stack = [app(module="m", function="f")]
    assert group_of(exc_event("python", with_stack, value="a")) == group_of(
        exc_event("python", with_stack, value="b")
    )
    no_stack_a = {"exception": {"values": [{"type": "E", "value": "user 12 missing"}]}}
    no_stack_b = {"exception": {"values": [{"type": "E", "value": "user 13 missing"}]}}
    no_stack_c = {"exception": {"values": [{"type": "E", "value": "order 12 missing"}]}}
    assert group_of(no_stack_a).components == ("exception", "E", "user <int> missing")
    assert group_of(no_stack_a) == group_of(no_stack_b) != group_of(no_stack_c)


def test_synthetic_mechanism_type_is_ignored():
    frames = [app(function="crash_handler", package="/app/App")]
    a = exc_event("native", frames, "SIGABRT", "", mechanism={"synthetic": True})
    b = exc_event("native", frames, "EXC_CRASH", "", mechanism={"synthetic": True})
    assert group_of(a) == group_of(b)
    assert "SIGABRT" not in group_of(a).components


def test_every_exception_of_a_chain_contributes():
    frame = app(module="m", function="f")
    root = {"type": "KeyError", "value": "'x'", "stacktrace": {"frames": [frame]}}
    outer = {"type": "ValueError", "value": "bad", "stacktrace": {"frames": [frame]}}
    chained = {"exception": {"values": [root, outer]}}
    assert group_of(chained).components == (
        "exception",
        "m",
        "f",
        "KeyError",
        "m",
        "f",
        "ValueError",
    )
    assert group_of(chained) != group_of({"exception": {"values": [outer]}})


# --- threads, stacktrace, message, fallback --------------------------------------------------


def test_single_thread_stack_outranks_the_message():
    thread = {"stacktrace": {"frames": [app(module="m", function="f")]}}
    a = {"message": "one", "threads": {"values": [thread, {"id": 2}]}}
    b = {"message": "two", "threads": [thread]}
    assert group_of(a) == group_of(b)
    assert group_of(a).components == ("threads", "m", "f")


def test_several_thread_stacks_fall_back_to_the_message():
    thread = {"stacktrace": {"frames": [app(module="m", function="f")]}}
    event = {"message": "hello", "threads": {"values": [thread, thread]}}
    assert group_of(event).components == ("message", "hello")


def test_top_level_stacktrace_outranks_the_message():
    event = {"message": "hello", "stacktrace": {"frames": [app(module="m", function="f")]}}
    assert group_of(event).components == ("stacktrace", "m", "f")


def test_message_uses_the_template_not_the_formatted_text():
    a = {"logentry": {"message": "Failed for %s", "params": ["bob"], "formatted": "Failed for bob"}}
    b = {"logentry": {"message": "Failed for %s", "params": ["eve"]}}
    assert group_of(a).components == group_of(b).components == ("message", "Failed for %s")


def test_event_without_anything_to_group_by():
    assert group_of({}).components == ("fallback",)
    assert group_of({}) == group_of({"platform": "go", "level": "info"})


NORMALIZATION_CASES = [
    ("mail bob@example.com now", "mail <email> now"),
    ("GET https://api.example.com/v1/x?y=1 failed", "GET <url> failed"),
    ("ws://host:8080/socket closed", "<url> closed"),
    ("from 192.168.10.1 and fe80::1ff:fe23:4567:890a", "from <ip> and <ip>"),
    ("C++ Foo::Bar stays", "C++ Foo::Bar stays"),
    ("id 123e4567-e89b-12d3-a456-426614174000", "id <uuid>"),
    ("rev da39a3ee5e6b4b0d3255bfef95601890afd80709", "rev <sha1>"),
    ("key d41d8cd98f00b204e9800998ecf8427e", "key <md5>"),
    ("at 2026-11-27T09:51:29.788Z", "at <date>"),
    ("at 2026-11-27 09:51:29+01:00", "at <date>"),
    ("on Fri, 27 Nov 2026 09:51:29 GMT", "on <date>"),
    ("made datetime.datetime(2026, 11, 27, 9, 51)", "made <date>"),
    ("ptr 0x7f18a2b4", "ptr <hex>"),
    ("took 1.25s of 30.0", "took <float>s of <float>"),
    ("retry -3 of 12 (v1.2.3)", "retry <int> of <int> (v1.<int>.<int>)"),
    ("where name='bob smith'", "where name=<quoted_str>"),
    ("user123 stays", "user123 stays"),
    ("line one\n\nline two\nline three", "line one\nline two..."),
]


@pytest.mark.parametrize(("message", "normalized"), NORMALIZATION_CASES)
def test_message_normalization(message, normalized):
    assert group_of({"message": message}).components == ("message", normalized)


# --- fingerprints ---------------------------------------------------------------------------

FINGERPRINT_EVENT = {
    "transaction": "/checkout",
    "level": "warning",
    "logger": "shop",
    "tags": {"tenant": "acme"},
    "exception": {
        "values": [
            {
                "type": "GatewayError",
                "value": "declined 42",
                "stacktrace": {
                    "frames": [
                        app(module="shop.pay", function="charge", abs_path="/srv/shop/pay.py"),
                        {"module": "lib", "function": "post", "package": "/venv/lib/http.so"},
                    ]
                },
            }
        ]
    },
}

FINGERPRINT_CASES = [
    (["custom"], ("fingerprint", "custom")),
    ([1, 2.5, True], ("fingerprint", "1", "2.5", "true")),
    (["{{ transaction }}", "{{type}}", "{{ error.value }}"], ("fingerprint", "/checkout", "GatewayError", "declined 42")),
    (["{{ message }}", "{{ level }}", "{{ logger }}"], ("fingerprint", "declined 42", "warning", "shop")),
    (["{{ function }}", "{{ stack.module }}", "{{ path }}"], ("fingerprint", "charge", "shop.pay", "/srv/shop/pay.py")),
    (["{{ stack.filename }}", "{{ package }}"], ("fingerprint", "<no-filename>", "<no-package>")),
    (["{{ tags.tenant }}", "{{ tags.nope }}", "{{ nope }}"], ("fingerprint", "acme", "<no-value-for-tag-key>", "{{ nope }}")),
    (["{{ default }}", "{{ tags.tenant }}"], ("exception", "shop.pay", "charge", "GatewayError", "acme")),
    (["{{ default }}"], ("exception", "shop.pay", "charge", "GatewayError")),
]  # fmt: skip


@pytest.mark.parametrize(("fingerprint", "components"), FINGERPRINT_CASES)
def test_fingerprint_variables(fingerprint, components):
    assert group_of(dict(FINGERPRINT_EVENT, fingerprint=fingerprint)).components == components


def test_fingerprint_placeholders_without_an_exception():
    event = {"fingerprint": ["{{ transaction }}", "{{ type }}", "{{ message }}", "{{ function }}"]}
    assert group_of(event).components == (
        "fingerprint",
        "<no-transaction>",
        "<no-type>",
        "<no-message>",
        "<no-function>",
    )


def test_custom_fingerprint_never_meets_a_message_with_the_same_text():
    assert group_of({"fingerprint": ["boom"]}) != group_of({"message": "boom"})
