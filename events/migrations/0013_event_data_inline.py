"""PostgreSQL: keep the compressed payload in the event's row instead of TOAST chunks.

Measured with bench/lifecycle.py disk on the benchmark's sentry-python event (3.4 KB after
zstd): 5,382 bytes per event out of line (two TOAST chunks of at most ~2 KB each, their index,
and the space they leave on TOAST pages) against 4,706 in the row (bench/README.md). STORAGE
MAIN with the table's toast_tuple_target at its maximum keeps any row that fits a page in
the heap; only a larger one goes out of line, as before. SQLite stores rows inline anyway.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE events_event ALTER COLUMN data SET STORAGE MAIN",
    "ALTER TABLE events_event SET (toast_tuple_target = 8160)",
]
BACKWARD = [
    "ALTER TABLE events_event RESET (toast_tuple_target)",
    "ALTER TABLE events_event ALTER COLUMN data SET STORAGE EXTERNAL",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("events", "0012_event_deferred_delete")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
