"""Event payloads become zstd-compressed bytes written by the worker (events/fields.py).

PostgreSQL: jsonb -> bytea in place (old rows keep their JSON text, which reading accepts),
and STORAGE EXTERNAL so PostgreSQL does not try to compress what is compressed already.
SQLite: the usual table rebuild (the JSON_VALID check of the old column must go).
"""

import orjson
from django.db import migrations, models

import events.fields

HELP = "The normalized, scrubbed payload."
TO_BYTEA = [
    "ALTER TABLE events_event ALTER COLUMN data TYPE bytea USING convert_to(data::text, 'UTF8')",
    "ALTER TABLE events_event ALTER COLUMN data SET STORAGE EXTERNAL",
]
TO_JSONB = [
    "ALTER TABLE events_event ALTER COLUMN data SET STORAGE EXTENDED",
    "ALTER TABLE events_event ALTER COLUMN data TYPE jsonb USING convert_from(data, 'UTF8')::jsonb",
]


def _fields(apps, forward: bool):
    Event = apps.get_model("events", "Event")
    json_field, packed_field = models.JSONField(help_text=HELP), events.fields.CompressedJSONField(
        help_text=HELP
    )
    for field in (json_field, packed_field):
        field.set_attributes_from_name("data")
        field.model = Event
    return Event, (json_field, packed_field) if forward else (packed_field, json_field)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in TO_BYTEA:
            schema_editor.execute(statement)
        return
    Event, (old, new) = _fields(apps, forward=True)
    schema_editor.alter_field(Event, old, new)


def backwards(apps, schema_editor):
    # Compressed rows cannot be converted by SQL: write them back as JSON text first.
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, data FROM events_event")
        for pk, raw in cursor.fetchall():
            text = orjson.dumps(events.fields.unpack(raw))
            cursor.execute(
                "UPDATE events_event SET data = %s WHERE id = %s",
                [text if postgres else text.decode(), pk],
            )
    if postgres:
        for statement in TO_JSONB:
            schema_editor.execute(statement)
        return
    Event, (old, new) = _fields(apps, forward=False)
    schema_editor.alter_field(Event, old, new)


class Migration(migrations.Migration):
    dependencies = [("events", "0005_event_data_lz4")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="data",
                    field=events.fields.CompressedJSONField(help_text=HELP),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
