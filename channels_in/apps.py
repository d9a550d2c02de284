from django.apps import AppConfig


class ChannelsInConfig(AppConfig):
    name = "channels_in"
    verbose_name = "Channels"

    def ready(self) -> None:
        # The core's outbound delivery asks its registry, never this app (DESIGN.md, Apps).
        from conversations import registry

        from .adapters.registry import BY_CHANNEL_TYPE

        for channel_type, adapter in BY_CHANNEL_TYPE.items():
            registry.register_sender(channel_type, adapter)
