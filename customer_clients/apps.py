from django.apps import AppConfig


class CustomerClientsConfig(AppConfig):
    name = "customer_clients"
    verbose_name = "Customer clients"

    def ready(self) -> None:
        from conversations import registry
        from conversations.models import ChannelType

        from .setup_guide import widget_setup_guide

        registry.register_setup_guide(ChannelType.WEB_WIDGET, widget_setup_guide)
