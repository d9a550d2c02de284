from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "desk"
    verbose_name = "Agent desk"

    def ready(self) -> None:
        from . import language  # noqa: F401 (connects the sign-in receiver)
