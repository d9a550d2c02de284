from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The manager's view: the fact log, daily rollups, the reports pages, CSAT, SLA policies and
    the live floor view (docs/reports.md defines every figure)."""

    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from conversations import events

        from .facts import record_facts

        # Durable: a fact commits or rolls back with the change it records.
        events.subscribe_durably(record_facts)
