from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  the jobs services ask for by name (conversations.jobs)
