"""Keyset pagination: every row exactly once, forward and back, with ties on the sort key."""

from datetime import UTC, datetime, timedelta

import pytest

from events.issues.pagination import paginate
from events.models import Issue
from tests.support.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issues():
    project = ProjectFactory()
    base = datetime(2025, 1, 1, tzinfo=UTC)
    rows = [
        Issue(
            project=project,
            grouping_version="1",
            fingerprint=f"{n:032x}",
            title=f"issue {n}",
            first_seen=base,
            last_seen=base + timedelta(minutes=n // 3),
            times_seen=n % 4,
        )
        for n in range(23)
    ]  # fmt: skip  (groups of 3 share last_seen: ties broken by id)
    Issue.objects.bulk_create(rows)
    return Issue.objects.filter(project=project)


@pytest.mark.parametrize(
    "key, descending", [("last_seen", True), ("times_seen", True), ("first_seen", False)]
)
def test_pages_cover_every_row_once_both_ways(issues, key, descending):
    expected = list(
        issues.order_by(*([f"-{key}", "-pk"] if descending else [key, "pk"])).values_list(
            "pk", flat=True
        )
    )
    pages, cursor = [], None
    while True:
        page = paginate(issues, key=key, descending=descending, cursor=cursor, size=5)
        pages.append(page)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert [i.pk for p in pages for i in p.items] == expected
    assert pages[0].prev_cursor is None and len(pages) == 5
    back = paginate(issues, key=key, descending=descending, cursor=pages[3].prev_cursor, size=5)
    assert [i.pk for i in back.items] == [i.pk for i in pages[2].items]
    first = paginate(issues, key=key, descending=descending, cursor=pages[1].prev_cursor, size=5)
    assert [i.pk for i in first.items] == [
        i.pk for i in pages[0].items
    ] and first.prev_cursor is None


@pytest.mark.parametrize(
    "cursor", ["garbage", "n~notadate~1", "x~2025-01-01T00:00:00+00:00~1", "n~2025-01-01~x", ""]
)
def test_a_bad_cursor_gives_the_first_page(issues, cursor):
    page = paginate(issues, key="last_seen", descending=True, cursor=cursor, size=5)
    assert page.items[0].title == "issue 22"
