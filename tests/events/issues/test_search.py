"""The query language: parsing (pure) and the same results on PostgreSQL and SQLite."""

import pytest
from django.db import connection

from events.issues import search
from events.issues.search import IssueQuery, parse
from events.models import Issue
from tests.support.payloads import message_event, python_error


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", IssueQuery()),
        ("database timeout", IssueQuery(words=("database", "timeout"))),
        ("is:resolved level:error", IssueQuery(status="resolved", levels=("error",))),
        ("is:ALL level:error,warning,bogus", IssueQuery(status="all", levels=("error", "warning"))),
        ("environment:prod release:1.2", IssueQuery(environment="prod", release="1.2")),
        ("env:staging", IssueQuery(environment="staging")),
        (
            'browser:"Chrome 120" url:/a',
            IssueQuery(tags=(("browser", "Chrome 120"), ("url", "/a"))),
        ),
        ('"app.main in inner"', IssueQuery(words=("app", "main", "in", "inner"))),
        ("ValueError: bad", IssueQuery(words=("valueerror", "bad"))),
        ("is:unassigned assigned:me", IssueQuery(assigned="me")),
        ("is:assigned", IssueQuery(assigned="any")),
        ("is:nonsense", IssueQuery()),
        ("server: web", IssueQuery(words=("server", "web"))),
        ("<script>alert(1)</script>", IssueQuery(words=("script", "alert", "1", "script"))),
    ],
)
def test_parse(text, expected):
    assert parse(text) == expected


def test_filter_form_fields_override_the_query():
    query = parse("is:resolved level:info x").with_filters(
        status="ignored", levels=(), environment=""
    )
    assert query == IssueQuery(words=("x",), status="ignored", levels=("info",))


@pytest.mark.django_db
def test_the_same_queries_find_the_same_issues(project, store_events):
    store_events(
        project,
        python_error(type_="DatabaseTimeout", value="connection pool exhausted after 30s"),
        python_error(type_="KeyError", value="'user_id'", function="load_profile"),
        message_event(message="Payment for order %s failed", params=["A-17"]),
    )

    def found(text):
        q = search.issue_filter(parse(text), vendor=connection.vendor, user_id=None)
        return sorted(
            Issue.objects.filter(project=project).filter(q).values_list("title", flat=True)
        )

    assert found("pool exhausted") == ["DatabaseTimeout: connection pool exhausted after 30s"]
    assert found("datab") == ["DatabaseTimeout: connection pool exhausted after 30s"]  # prefix
    assert found("load_profile") == ["KeyError: 'user_id'"]  # culprit, punctuation-insensitive
    assert found("app.main") == [
        "DatabaseTimeout: connection pool exhausted after 30s",
        "KeyError: 'user_id'",
    ]
    assert found("payment A-17") == ["Payment for order A-17 failed"]
    assert found("payment missing") == []
    assert found("'; drop table x; --") == []


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the GIN index exists on PostgreSQL only"
)
def test_full_text_search_uses_the_gin_index(project):
    q = search.issue_filter(parse("timeout"), vendor="postgresql", user_id=None)
    sql, params = Issue.objects.filter(q).only("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "issue_search_idx" in plan, plan


@pytest.mark.django_db
def test_camel_case_words_match_whole_and_by_part(project, store_events):
    store_events(project, python_error(type_="ConnectionResetError", value="peer gone"))
    for text in ["ConnectionResetError", "reset", "error peer", "connectionreset"]:
        q = search.issue_filter(parse(text), vendor=connection.vendor, user_id=None)
        assert Issue.objects.filter(project=project).filter(q).count() == 1, text
