from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Watching a deployment: /metrics on every process, JSON log lines, request and task ids
    (docs/operations.md)."""

    name = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from operations import exposition
        from operations.collectors import ScrapeTimeFigures  # reads models: only once apps are ready

        exposition.register_collectors(web_only=ScrapeTimeFigures())
