"""Grouping key of a normalized event (docs/protocols.md §7), pure and versioned.

A stored issue remembers the version that grouped it, so a version's behaviour is frozen:
each version is a module of its own (v1.py) with a `components(event)` function, and
changing grouping means adding a module and a VERSIONS entry, never editing a version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from . import v1

GROUPING_VERSION = "v1"
VERSIONS: dict[str, Callable[[dict], tuple[str, ...]]] = {"v1": v1.components}


@dataclass(frozen=True)
class GroupingResult:
    version: str
    hash: str  # 32 lowercase hex (md5)
    components: tuple[str, ...]  # strategy name, then the contributing values in order


def compute_grouping(event: dict, version: str = GROUPING_VERSION) -> GroupingResult:
    """Group hash for an event produced by normalize_event()."""
    try:
        strategy = VERSIONS[version]
    except KeyError:
        raise ValueError(f"unknown grouping version: {version!r}") from None
    components = strategy(event)
    # A separator keeps ("ab", "c") and ("a", "bc") apart, unlike a plain concatenation.
    md5 = hashlib.md5("\x00".join(components).encode("utf-8", "replace"), usedforsecurity=False)
    return GroupingResult(version=version, hash=md5.hexdigest(), components=components)
