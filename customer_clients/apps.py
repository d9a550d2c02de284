from django.apps import AppConfig


class CustomerClientsConfig(AppConfig):
    name = "customer_clients"
    verbose_name = "Customer clients"

    def ready(self) -> None:
        from conversations import registry
        from conversations.models import ChannelType

        from .setup_guide import widget_setup_guide
        from .widget_settings import WIDGET_SETTINGS, widget_config_problems

        registry.register_setup_guide(ChannelType.WEB_WIDGET, widget_setup_guide)
        registry.register_setting_fields(ChannelType.WEB_WIDGET, WIDGET_SETTINGS)
        registry.register_config_check(ChannelType.WEB_WIDGET, widget_config_problems)
