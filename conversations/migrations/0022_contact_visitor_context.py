from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0021_contact_avatar_url_longer"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="visitor_context",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="What the widget last knew of the visitor: page, browser language, time zone, city "
                "(conversations.visitor_context).",
            ),
        ),
    ]
