from django.apps import AppConfig


class OutboundWebhooksConfig(AppConfig):
    """Businesses' event subscriptions: the core's events, signed and POSTed to their URLs."""

    name = "outbound_webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from conversations import events

        from . import tasks  # noqa: F401  the jobs services ask for by name (conversations.jobs)
        from .subscriber import record_events

        # Durable, not the channel layer: a delivery row commits or rolls back with the change it
        # announces, so a business hears of every committed change at least once.
        events.subscribe_durably(record_events)
