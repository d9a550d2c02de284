"""LiveSession.inbox, copied from its conversation, so an inbox's queue and its recent waits are
each one index range instead of a join over every open session."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0009_language_skill_fairness_and_session_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="livesession",
            name="inbox",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="conversations.inbox"
            ),
        ),
        migrations.RunSQL(
            "UPDATE conversations_livesession SET inbox_id = ("
            "SELECT inbox_id FROM conversations_conversation WHERE id = conversations_livesession.conversation_id)",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="livesession",
            name="inbox",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="conversations.inbox"
            ),
        ),
        migrations.AlterField(
            model_name="livesession",
            name="kind",
            field=models.CharField(
                choices=[("live", "Live chat"), ("messaging", "Both present in a messaging conversation")],
                db_default="live",
                default="live",
                max_length=10,
            ),
        ),
        migrations.AddIndex(
            model_name="livesession",
            index=models.Index(
                condition=models.Q(("agent__isnull", True), ("closed_at__isnull", True), ("kind", "live")),
                fields=["inbox", "opened_at", "id"],
                name="live_session_queue",
            ),
        ),
        migrations.AddIndex(
            model_name="livesession",
            index=models.Index(
                condition=models.Q(("assigned_at__isnull", False), ("kind", "live")),
                fields=["inbox", "-assigned_at"],
                name="live_session_taken",
            ),
        ),
    ]
