"""Which adapter speaks for which provider (by webhook slug) and channel type (for sending)."""

from .api_channel import ApiChannelAdapter
from .base import ChannelAdapter
from .meta_messenger import InstagramAdapter, MessengerAdapter
from .meta_whatsapp import WhatsAppAdapter
from .telegram import TelegramAdapter
from .twilio import TwilioAdapter

ADAPTERS: tuple[ChannelAdapter, ...] = (
    TwilioAdapter(),
    WhatsAppAdapter(),
    MessengerAdapter(),
    InstagramAdapter(),
    TelegramAdapter(),
    ApiChannelAdapter(),
)

BY_SLUG: dict[str, ChannelAdapter] = {adapter.slug: adapter for adapter in ADAPTERS}
BY_CHANNEL_TYPE: dict[str, ChannelAdapter] = {
    channel_type: adapter for adapter in ADAPTERS for channel_type in adapter.channel_types
}


def adapter_for_slug(slug: str) -> ChannelAdapter | None:
    return BY_SLUG.get(slug)


def adapter_for_channel_type(channel_type: str) -> ChannelAdapter | None:
    return BY_CHANNEL_TYPE.get(channel_type)
