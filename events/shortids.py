"""Short ids: WEB-SHOP-12 is issue number 12 of the project with the slug `web-shop`.

The numbers come from a counter on the project (`Project.issue_counter`), one after the
other as issues are made, as Sentry users expect; `allocate` takes them inside the
transaction that makes the issues, so two workers never hand out the same number.
"""

from __future__ import annotations

import re

from django.db.models import F

from projects.models import Project

_SHORT_ID = re.compile(r"^(?P<slug>[A-Za-z0-9][A-Za-z0-9_-]*?)-(?P<number>[0-9]{1,15})$")


def format(project_slug: str, number: int) -> str:  # noqa: A001 (module-level name)
    return f"{project_slug.upper()}-{number}"


def parse(text: str) -> tuple[str, int] | None:
    """("web-shop", 12) for "WEB-SHOP-12" (any case); None when it is not a short id."""
    match = _SHORT_ID.match((text or "").strip())
    if match is None:
        return None
    return match["slug"].lower(), int(match["number"])


def allocate(project_id: int, count: int) -> int:
    """Take `count` numbers from the project's counter; returns the first. Call inside a
    transaction: the row stays locked until it commits (PostgreSQL; SQLite locks the
    whole database for writing anyway)."""
    Project.objects.filter(pk=project_id).update(issue_counter=F("issue_counter") + count)
    last = Project.objects.filter(pk=project_id).values_list("issue_counter", flat=True).get()
    return last - count + 1
