"""Full-text search over issues on PostgreSQL (SQLite searches with LIKE instead).

A stored generated tsvector column with a GIN index: PostgreSQL computes it on every write
(the write path's INSERTs need not know about it), and a search never re-evaluates the
expression per row. The column is unknown to the Django model on purpose: it exists on
PostgreSQL only; `events.issues.search` queries it with raw SQL.

Punctuation becomes spaces so `app.main` or `views.py` index as plain words, and CamelCase
words are indexed whole and split (`KeyError` -> keyerror, key, error).

Note: altering the type of title, culprit or metadata later requires dropping this column
first (PostgreSQL refuses to alter a column a generated column depends on).
"""

from django.db import migrations

TEXT = "title || ' ' || culprit || ' ' || COALESCE(metadata ->> 'value', '')"
DOCUMENT = (
    "to_tsvector('simple'::regconfig, regexp_replace("
    f"{TEXT} || ' ' || regexp_replace({TEXT}, '([[:lower:][:digit:]])([[:upper:]])', '\\1 \\2', 'g'), "
    "'[^[:alnum:]]+', ' ', 'g'))"
)


def add_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE events_issue ADD COLUMN IF NOT EXISTS search_vector tsvector"
            f" GENERATED ALWAYS AS ({DOCUMENT}) STORED"
        )
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS issue_search_idx ON events_issue USING GIN (search_vector)"
        )


def drop_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS issue_search_idx")
        schema_editor.execute("ALTER TABLE events_issue DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_issue_assignee_activity"),
    ]

    operations = [
        migrations.RunPython(add_search_vector, drop_search_vector),
    ]
