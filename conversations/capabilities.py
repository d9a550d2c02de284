"""What each channel lets Parley send, declared once: the composer shows it, and the services
refuse a reply that breaks it, so nothing in Parley can send what the channel forbids.

The channel adapters (channels_in) grow this matrix with media types and sizes, templates and
edits; what is here is what replies need today.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import ChannelType, Conversation, Message


@dataclass(frozen=True)
class Capabilities:
    reply_window: timedelta | None = None  # free-form replies only this long after the customer wrote
    max_text_length: int = 20_000
    sms_segments: bool = False  # text is billed and split in SMS segments (GSM-7 160/153, UCS-2 70/67)
    typing: bool = False  # the customer can see that an agent is typing
    read_receipts: bool = False


CAPABILITIES = {
    ChannelType.WEB_WIDGET: Capabilities(typing=True, read_receipts=True),
    ChannelType.API: Capabilities(),
    # Twilio joins long texts and accepts up to 1,600 characters (10 segments of GSM-7).
    ChannelType.SMS: Capabilities(max_text_length=1600, sms_segments=True),
    ChannelType.WHATSAPP: Capabilities(
        reply_window=timedelta(hours=24), max_text_length=4096, typing=True, read_receipts=True
    ),
    ChannelType.MESSENGER: Capabilities(
        reply_window=timedelta(hours=24), max_text_length=2000, typing=True, read_receipts=True
    ),
    ChannelType.INSTAGRAM: Capabilities(
        reply_window=timedelta(hours=24), max_text_length=1000, typing=True, read_receipts=True
    ),
    ChannelType.TELEGRAM: Capabilities(max_text_length=4096, typing=True),
}


def capabilities_of(channel_type: str) -> Capabilities:
    return CAPABILITIES.get(channel_type, Capabilities())


def reply_window_closes_at(conversation: Conversation) -> datetime | None:
    """When free-form replies stop being allowed (the customer's last message plus the channel's
    window); None for channels without a window. One query, only for those channels. A
    conversation the customer never wrote in is closed already."""
    window = capabilities_of(conversation.inbox.channel_type).reply_window
    if window is None:
        return None
    last = (
        Message.objects.filter(conversation=conversation, sender_kind=Message.SenderKind.CONTACT)
        .order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )
    return last + window if last is not None else datetime.min.replace(tzinfo=conversation.created_at.tzinfo)
