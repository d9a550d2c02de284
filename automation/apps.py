from django.apps import AppConfig


class AutomationConfig(AppConfig):
    """Automation rules (event, conditions, actions run after commit) and agents' macros."""

    name = "automation"
    verbose_name = "Automation"

    def ready(self) -> None:
        from conversations import events

        from .subscriber import hear_events

        # Durable: the subscriber hears each change inside its transaction and asks for the rules
        # to run once it commits (never for a change that rolled back).
        events.subscribe_durably(hear_events)
