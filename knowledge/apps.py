from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge base and help center"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  the jobs services ask for by name (conversations.jobs)
