"""Which of two releases is newer: by semantic version when both versions parse (with
pre-releases before their release; build metadata does not order, as semver says), else by
the order the releases were first seen. Pure; the table test is tests/releases/test_ordering.py.

A version may carry a package, as sentry-cli and the SDKs write it: `web@1.4.2+build.7`
is package `web`, version `1.4.2+build.7`. Versions of different packages do not compare
by semver.
"""

from __future__ import annotations

from functools import lru_cache

import semver


@lru_cache(maxsize=4096)
def parse(version: str) -> tuple[str, semver.Version] | None:
    """(package, semantic version) or None. `1.2` and `v1.2.3` count as 1.2.0 and 1.2.3."""
    package, _, text = version.rpartition("@")
    text = text.strip()
    if text[:1] in ("v", "V"):
        text = text[1:]
    try:
        return package, semver.Version.parse(text, optional_minor_and_patch=True)
    except (ValueError, TypeError):
        return None


def compare(a: str, b: str, seen_a: int, seen_b: int) -> int:
    """-1, 0 or 1 as release `a` is older than, the same as, or newer than `b`; `seen_*`
    are their first-seen ranks (e.g. row ids), the fallback and the tie-breaker."""
    if a == b:
        return 0
    pa, pb = parse(a), parse(b)
    if pa is not None and pb is not None and pa[0] == pb[0]:
        order = pa[1].compare(pb[1])  # ignores build metadata
        if order:
            return order
    return (seen_a > seen_b) - (seen_a < seen_b)


def newest(versions: dict[str, int]) -> str | None:
    """The newest of {version: first-seen rank}."""
    best = None
    for version, seen in versions.items():
        if best is None or compare(version, best, seen, versions[best]) > 0:
            best = version
    return best
