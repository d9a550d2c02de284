from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """A person's rights over what Parley holds about them: export it, erase it (docs/privacy.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
