"""The seam between `events` and the app that keeps releases (`releases`), which events
never imports: that app registers one `ReleaseHook` in its `ready()`.

Without a hook (the app not installed), events still carry their release string, and
"resolve in a release" falls back to a plain resolve.
"""

from __future__ import annotations

from typing import Protocol


class ReleaseHook(Protocol):
    def record_batch(self, stored: list, created: set[int]) -> object:
        """Inside the batch transaction, after the events: `stored` is the (PreparedEvent,
        issue id) pairs stored now, `created` the ids of issues the batch created. Makes the
        releases the projects have not seen; returns what `count_batch` needs (None: nothing)."""

    def count_batch(self, recorded: object) -> None:
        """The releases' counters, the batch transaction's last write: the rows every batch
        of a release touches are locked for the shortest time."""

    def newer(self, checks: set[tuple[int, str, str]]) -> set[tuple[int, str, str]]:
        """Of (project id, version, baseline) triples, those whose version is newer than
        the baseline in the project's organization."""

    def latest(self, project_ids: set[int]) -> dict[int, str]:
        """The newest release of each project that has one."""


_hook: ReleaseHook | None = None


def register(hook: ReleaseHook) -> None:
    global _hook
    _hook = hook


def hook() -> ReleaseHook | None:
    return _hook
