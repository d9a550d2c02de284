"""Full-text search over what customers and agents wrote (the desk's search), on Postgres only.

A GIN index on to_tsvector('simple', body) of public messages; agents.selectors asks with the very
same expression, so the planner uses it. The embedded SQLite database has no such index and the
desk searches it with a plain substring match instead.
"""

from django.db import migrations

INDEX = "message_body_search"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON conversations_message "
            "USING gin (to_tsvector('simple', body)) WHERE NOT is_private"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("conversations", "0004_inbox_hours_and_live_session_presence")]

    operations = [migrations.RunPython(create, drop)]
