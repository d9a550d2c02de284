from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The manager's view: the fact log, daily rollups, the reports pages, CSAT, SLA policies and
    the live floor view (docs/reports.md defines every figure)."""

    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from conversations import events

        from . import tasks  # noqa: F401  the beat's tasks
        from .csat import wiring
        from .facts import record_facts
        from .sla import track_clocks

        # Durable: a fact, or a service-level clock, commits or rolls back with the change itself.
        events.subscribe_durably(record_facts)
        events.subscribe_durably(track_clocks)
        wiring.connect()  # CSAT: the survey's resolve subscriber, reply catcher and jobs
