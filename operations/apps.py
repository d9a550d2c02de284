from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Watching a deployment: /metrics on every process, JSON log lines, request and task ids
    (docs/operations.md)."""

    name = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        import logging

        from operations import exposition

        # Python's warnings (a library's UserWarning) through logging, so they leave as JSON lines
        # like everything else rather than as bare text on stderr.
        logging.captureWarnings(True)
        from operations.collectors import ScrapeTimeFigures  # reads models: only once apps are ready

        exposition.register_collectors(web_only=ScrapeTimeFigures())
