"""Drop four single-column indexes that a composite index leading with the same column already
serves (see the models). Only the indexes go: Django's own AlterField would also drop and re-add
each foreign key, re-checking every row of the message table under its lock."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROPPED = [
    ("conversations_conversation_assignee_id_e845f644", "conversations_conversation", "assignee_id"),
    ("conversations_conversation_contact_id_000135ab", "conversations_conversation", "contact_id"),
    ("conversations_conversation_inbox_id_c97f6da0", "conversations_conversation", "inbox_id"),
    ("conversations_message_conversation_id_f1a2d5e9", "conversations_message", "conversation_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0015_sla_due"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="conversation",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_conversations",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="conversations",
                        to="conversations.contact",
                    ),
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="inbox",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="conversations",
                        to="conversations.inbox",
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="conversation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="conversations.conversation",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}", f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})"
                )
                for name, table, column in DROPPED
            ],
        ),
    ]
