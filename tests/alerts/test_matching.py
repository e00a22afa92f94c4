"""Rule matching is pure: unsaved rules, plain facts, no database."""

import pytest

from alerts.matching import Facts, Reason, filters_match, level_rank, trigger_reason
from alerts.models import NotificationRule

pytestmark = pytest.mark.one_pass


def rule(**fields):
    return NotificationRule(name="r", **fields)


def test_levels_rank_in_order_and_unknown_levels_count_as_error():
    assert level_rank("debug") < level_rank("info") < level_rank("warning") < level_rank("error")
    assert level_rank("error") < level_rank("fatal") == level_rank("critical")
    assert level_rank("warn") == level_rank("warning")
    assert level_rank("nonsense") == level_rank("error")


@pytest.mark.parametrize(
    "minimum, level, expected",
    [("", "debug", True), ("warning", "info", False), ("warning", "warning", True),
     ("warning", "fatal", True), ("error", "warning", False), ("fatal", "error", False)],
)  # fmt: skip
def test_level_filter_is_at_or_above(minimum, level, expected):
    assert filters_match(rule(min_level=minimum), Facts(level=level)) is expected


def test_environment_must_be_in_the_list():
    r = rule(environments=["production", "staging"])
    assert filters_match(r, Facts(environment="staging"))
    assert not filters_match(r, Facts(environment="dev"))
    assert not filters_match(r, Facts(environment=""))


def test_release_is_a_glob():
    r = rule(release="shop@2.*")
    assert filters_match(r, Facts(release="shop@2.4.1"))
    assert not filters_match(r, Facts(release="shop@1.9"))
    assert not filters_match(r, Facts(release=""))
    assert filters_match(rule(release="1.0"), Facts(release="1.0"))


def test_tag_must_equal_the_value():
    r = rule(tag_key="customer", tag_value="acme")
    assert filters_match(r, Facts(tags={"customer": "acme"}))
    assert not filters_match(r, Facts(tags={"customer": "other"}))
    assert not filters_match(r, Facts(tags={}))


def test_text_is_searched_in_title_and_message_ignoring_case():
    r = rule(text_contains="Timeout")
    assert filters_match(r, Facts(title="DB timeout in checkout"))
    assert filters_match(r, Facts(title="Error", message="upstream TIMEOUT after 30s"))
    assert not filters_match(r, Facts(title="KeyError", message="missing"))


def test_all_filters_must_match():
    r = rule(min_level="error", environments=["production"], text_contains="payment")
    good = Facts(level="error", environment="production", title="payment failed")
    assert filters_match(r, good)
    assert not filters_match(r, Facts(level="warning", environment="production", title="payment"))
    assert not filters_match(r, Facts(level="error", environment="staging", title="payment"))


def test_a_regression_is_the_strongest_reason_and_needs_its_trigger():
    r = rule(on_new_issue=True, on_regression=True, on_every_event=True)
    args = {"created": False, "new_events": 1}
    assert trigger_reason(r, regressed=True, **args) == Reason.REGRESSION
    assert trigger_reason(rule(on_every_event=True), regressed=True, **args) == Reason.EVENT
    assert trigger_reason(rule(on_new_issue=True), regressed=True, **args) is None


def test_new_issue_and_every_event_triggers():
    r = rule(on_new_issue=True)
    assert trigger_reason(r, created=True, regressed=False, new_events=1) == Reason.NEW_ISSUE
    assert trigger_reason(r, created=False, regressed=False, new_events=5) is None
    r = rule(on_every_event=True)
    assert trigger_reason(r, created=False, regressed=False, new_events=1) == Reason.EVENT


def test_frequency_fires_once_the_window_count_reaches_n():
    r = rule(on_frequency=True, frequency_count=10, frequency_minutes=5)
    kw = {"created": False, "regressed": False, "new_events": 1}
    assert trigger_reason(r, recent_count=9, **kw) is None
    assert trigger_reason(r, recent_count=10, **kw) == Reason.FREQUENCY
    assert trigger_reason(r, recent_count=None, **kw) is None
