"""Does a rule fire for what a batch did to an issue? Pure functions over plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from .models import LEVELS, Delivery, NotificationRule

Reason = Delivery.Reason


@dataclass(frozen=True)
class Facts:
    """What filters look at: the issue and its newest event of the batch."""

    level: str = "error"
    environment: str = ""
    release: str = ""
    tags: dict = field(default_factory=dict)
    title: str = ""
    message: str = ""


def level_rank(level: str) -> int:
    # Unknown levels (SDKs send "critical", "warn") rank like their nearest neighbour.
    level = {"critical": "fatal", "warn": "warning", "log": "info"}.get(level, level)
    return LEVELS.index(level) if level in LEVELS else LEVELS.index("error")


def filters_match(rule: NotificationRule, facts: Facts) -> bool:
    if rule.min_level and level_rank(facts.level) < level_rank(rule.min_level):
        return False
    if rule.environments and facts.environment not in rule.environments:
        return False
    if rule.release and not fnmatchcase(facts.release, rule.release):
        return False
    if rule.tag_key and str(facts.tags.get(rule.tag_key, "")) != rule.tag_value:
        return False
    if rule.text_contains:
        needle = rule.text_contains.casefold()
        if needle not in facts.title.casefold() and needle not in facts.message.casefold():
            return False
    return True


def trigger_reason(
    rule: NotificationRule,
    *,
    created: bool,
    regressed: bool,
    new_events: int,
    recent_count: int | None = None,
) -> str | None:
    """Why the rule fires, strongest reason first; None when no trigger applies.

    `recent_count` is the issue's events in the rule's frequency window (None: not counted)."""
    if regressed and rule.on_regression:
        return Reason.REGRESSION
    if created and rule.on_new_issue:
        return Reason.NEW_ISSUE
    if (
        rule.on_frequency
        and rule.frequency_count
        and recent_count is not None
        and recent_count >= rule.frequency_count
    ):
        return Reason.FREQUENCY
    if rule.on_every_event and new_events > 0:
        return Reason.EVENT
    return None
