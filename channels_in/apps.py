from django.apps import AppConfig


class ChannelsInConfig(AppConfig):
    name = "channels_in"
    verbose_name = "Channels"

    def ready(self) -> None:
        # The core's outbound delivery asks its registry, never this app (DESIGN.md, Apps).
        from conversations import registry
        from conversations.models import ChannelType

        from . import tasks  # noqa: F401  the jobs services ask for by name (conversations.jobs)
        from .adapters.by_provider import BY_CHANNEL_TYPE
        from .adapters.meta_whatsapp import sync_templates
        from .credential_checks import CREDENTIAL_CHECKS, CREDENTIAL_KEYS
        from .email.sender import EmailSender
        from .email.settings_check import email_config_problems
        from .settings_checks import REQUIRED, provider_config_check
        from .settings_fields import SETTING_FIELDS
        from .setup_guides import setup_guides

        for channel_type, adapter in BY_CHANNEL_TYPE.items():
            registry.register_sender(channel_type, adapter)
        registry.register_sender(ChannelType.EMAIL, EmailSender())
        registry.register_config_check(ChannelType.EMAIL, email_config_problems)
        for channel_type in REQUIRED:
            registry.register_config_check(channel_type, provider_config_check(channel_type))
        for channel_type, guide in setup_guides().items():
            registry.register_setup_guide(channel_type, guide)
        for channel_type, fields in SETTING_FIELDS.items():
            registry.register_setting_fields(channel_type, fields)
        for channel_type, check in CREDENTIAL_CHECKS.items():
            registry.register_credentials_check(channel_type, CREDENTIAL_KEYS[channel_type], check)
        registry.register_template_source(ChannelType.WHATSAPP, sync_templates)
