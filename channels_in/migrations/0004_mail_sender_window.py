# The per-sender mail count behind the email storm limit (channels_in/email/storms.py).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("channels_in", "0003_mailbox_cursor"),
        ("conversations", "0017_email_channel"),
    ]

    operations = [
        migrations.CreateModel(
            name="MailSenderWindow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("address", models.CharField(max_length=320)),
                ("window_started_at", models.DateTimeField()),
                (
                    "mails",
                    models.PositiveIntegerField(default=0, help_text="Mails counted since the window began."),
                ),
                (
                    "inbox",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="conversations.inbox",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("inbox", "address"), name="mail_sender_window_inbox_address_unique"
                    )
                ],
            },
        ),
    ]
