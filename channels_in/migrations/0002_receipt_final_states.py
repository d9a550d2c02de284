"""Receipts get a final state: applied, or failed with its reason (no more pending forever)."""

from django.db import migrations, models
from django.db.models import Q, Value
from django.db.models.functions import Concat


def settle_processed_receipts(apps, schema_editor) -> None:
    """Before this, a processed receipt was applied unless it was a delivery report closed after
    waiting an hour for its message: that one kept its reason in last_error. Pending ones stay
    pending; the sweep now gives each a bounded number of tries."""
    receipts = apps.get_model("channels_in", "WebhookReceipt").objects
    receipts.filter(processed_at__isnull=False, last_error="").update(state="applied")
    receipts.filter(processed_at__isnull=False).exclude(last_error="").update(
        state="failed", last_error=Concat(Value("Dropped after waiting for its message: "), "last_error")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("channels_in", "0001_webhook_receipts"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="webhookreceipt", name="receipt_pending"),
        migrations.AddField(
            model_name="webhookreceipt",
            name="note",
            field=models.TextField(
                blank=True,
                help_text="What Parley had to change to store the event (the provider signed it as sent).",
            ),
        ),
        migrations.AddField(
            model_name="webhookreceipt",
            name="state",
            field=models.CharField(
                choices=[("pending", "Pending"), ("applied", "Applied"), ("failed", "Failed")],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.RunPython(settle_processed_receipts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="webhookreceipt",
            name="attempts",
            field=models.PositiveIntegerField(
                default=0, help_text="Tries since it was stored or applied again."
            ),
        ),
        migrations.AlterField(
            model_name="webhookreceipt",
            name="last_error",
            field=models.TextField(blank=True, help_text="Why the last try failed."),
        ),
        migrations.AlterField(
            model_name="webhookreceipt",
            name="processed_at",
            field=models.DateTimeField(
                blank=True, help_text="When it was applied, or failed for good.", null=True
            ),
        ),
        migrations.AddIndex(
            model_name="webhookreceipt",
            index=models.Index(condition=Q(state="pending"), fields=["received_at"], name="receipt_pending"),
        ),
        migrations.AddIndex(
            model_name="webhookreceipt",
            index=models.Index(condition=Q(state="failed"), fields=["received_at"], name="receipt_failed"),
        ),
        migrations.AddConstraint(
            model_name="webhookreceipt",
            constraint=models.CheckConstraint(
                condition=Q(state="pending", processed_at__isnull=True)
                | (~Q(state="pending") & Q(processed_at__isnull=False)),
                name="webhook_receipt_processed_at_when_final",
            ),
        ),
    ]
