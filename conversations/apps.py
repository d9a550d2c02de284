from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import tasks  # noqa: F401  the jobs services ask for by name (conversations.jobs)
        from .models import Inbox
        from .settings_rows import settings_rows_changed

        post_save.connect(settings_rows_changed, sender=Inbox, dispatch_uid="settings-rows-inbox-saved")
        post_delete.connect(settings_rows_changed, sender=Inbox, dispatch_uid="settings-rows-inbox-deleted")
