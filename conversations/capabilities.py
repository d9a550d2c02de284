"""What each channel lets Parley send, declared once. The composer shows it, the services refuse
what breaks it, and every automatic message (bot, auto-resolve, notices) asks `send_refusal`
first, so nothing in Parley can send what the channel forbids.

The figures are the providers' own published limits (Twilio MMS, WhatsApp Cloud API media,
Messenger Platform, Instagram messaging, Telegram Bot API).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from django.utils import timezone
from django.utils.translation import gettext as _

from .files import MAX_FILE_BYTES
from .models import ChannelType, Conversation, Message

MB = 1024 * 1024


def _limits(by_type: dict[str, int]) -> Mapping[str, int]:
    return MappingProxyType(by_type)


@dataclass(frozen=True)
class Capabilities:
    reply_window: timedelta | None = None  # free-form replies only this long after the customer wrote
    human_agent_window: timedelta | None = None  # a person (never automation) may reply this long
    templates: bool = False  # outside the window, approved templates may still be sent
    max_text_length: int = 20_000
    sms_segments: bool = False  # text is billed and split in SMS segments (GSM-7 160/153, UCS-2 70/67)
    media: Mapping[str, int] = field(default_factory=lambda: _limits({}))  # MIME type -> largest size
    max_attachments: int = 10
    typing: bool = False  # the customer can see that an agent is typing
    read_receipts: bool = False
    edits: bool = False  # the customer's edits of a sent message reach us
    buttons: int = 0  # replies offered as buttons the customer taps (0: numbered lines in the text instead)

    def media_limit(self, mime_type: str) -> int | None:
        return self.media.get(mime_type)

    @property
    def accept(self) -> str:
        """The composer's file input `accept` attribute."""
        return ",".join(self.media)


WIDGET_MEDIA = _limits(
    {
        "image/jpeg": MAX_FILE_BYTES,
        "image/png": MAX_FILE_BYTES,
        "image/gif": MAX_FILE_BYTES,
        "image/webp": MAX_FILE_BYTES,
        "application/pdf": MAX_FILE_BYTES,
    }
)

CAPABILITIES = {
    ChannelType.WEB_WIDGET: Capabilities(typing=True, read_receipts=True, media=WIDGET_MEDIA, buttons=10),
    ChannelType.API: Capabilities(media=WIDGET_MEDIA, buttons=10),  # the app draws message.actions
    # Mail takes any file; the desk's uploads are the widget's types and size (files.py).
    ChannelType.EMAIL: Capabilities(media=WIDGET_MEDIA, max_attachments=20),
    # Twilio joins long texts up to 1,600 characters; MMS (US and Canada) up to 5 MB a message.
    ChannelType.SMS: Capabilities(
        max_text_length=1600,
        sms_segments=True,
        media=_limits(
            {"image/jpeg": 5 * MB, "image/png": 5 * MB, "image/gif": 5 * MB, "application/pdf": 5 * MB}
        ),
    ),
    ChannelType.WHATSAPP: Capabilities(
        reply_window=timedelta(hours=24),
        templates=True,
        max_text_length=4096,
        media=_limits(
            {
                "image/jpeg": 5 * MB,
                "image/png": 5 * MB,
                "application/pdf": 100 * MB,
                "audio/ogg": 16 * MB,
                "audio/mpeg": 16 * MB,
                "video/mp4": 16 * MB,
            }
        ),
        max_attachments=1,
        typing=True,
        read_receipts=True,
        buttons=3,  # reply buttons, titles of up to 20 characters
    ),
    ChannelType.MESSENGER: Capabilities(
        reply_window=timedelta(hours=24),
        human_agent_window=timedelta(days=7),
        max_text_length=2000,
        media=_limits(
            {
                "image/jpeg": 25 * MB,
                "image/png": 25 * MB,
                "image/gif": 25 * MB,
                "application/pdf": 25 * MB,
                "video/mp4": 25 * MB,
                "audio/mpeg": 25 * MB,
            }
        ),
        max_attachments=1,
        typing=True,
        read_receipts=True,
        buttons=13,  # quick replies, titles of up to 20 characters
    ),
    ChannelType.INSTAGRAM: Capabilities(
        reply_window=timedelta(hours=24),
        human_agent_window=timedelta(days=7),
        max_text_length=1000,
        media=_limits({"image/jpeg": 8 * MB, "image/png": 8 * MB, "video/mp4": 25 * MB}),
        max_attachments=1,
        typing=True,
        read_receipts=True,
        buttons=13,  # quick replies, titles of up to 20 characters
    ),
    # Files sent by URL: photos up to 5 MB, other files up to 20 MB.
    ChannelType.TELEGRAM: Capabilities(
        max_text_length=4096,
        media=_limits(
            {
                "image/jpeg": 5 * MB,
                "image/png": 5 * MB,
                "image/gif": 20 * MB,
                "application/pdf": 20 * MB,
                "video/mp4": 20 * MB,
            }
        ),
        typing=True,
        edits=True,
        buttons=10,  # an inline keyboard (Telegram takes more; a message offers at most 10)
    ),
}


def capabilities_of(channel_type: str) -> Capabilities:
    return CAPABILITIES.get(channel_type, Capabilities())


def last_customer_message_at(conversation: Conversation) -> datetime | None:
    return (
        Message.objects.filter(conversation=conversation, sender_kind=Message.SenderKind.CONTACT)
        .order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )


def reply_window_closes_at(conversation: Conversation) -> datetime | None:
    """When free-form replies stop being allowed (the customer's last message plus the channel's
    window); None for channels without a window. One query, only for those channels. A
    conversation the customer never wrote in is closed already."""
    window = capabilities_of(conversation.inbox.channel_type).reply_window
    if window is None:
        return None
    last = last_customer_message_at(conversation)
    return last + window if last is not None else datetime.min.replace(tzinfo=conversation.created_at.tzinfo)


@dataclass(frozen=True)
class OutgoingFile:
    mime_type: str
    byte_size: int


def send_refusal(
    conversation: Conversation,
    *,
    body: str,
    files: Sequence[OutgoingFile] = (),
    by_person: bool,
    template: bool = False,
) -> str | None:
    """Why the channel would refuse this message, in words for the person (in the language active
    for them) or the log; None when it
    may be sent. `by_person` is False for anything automatic (bot, auto-resolve, notices): only
    a person may use a human-agent window. An approved template may go out after the window."""
    allowed = capabilities_of(conversation.inbox.channel_type)
    if len(body) > allowed.max_text_length:
        return _("This channel takes at most %(count)s characters a message.") % {
            "count": allowed.max_text_length
        }
    if files and not allowed.media:
        return _("This channel does not take attachments.")
    if len(files) > allowed.max_attachments:
        return _("This channel takes at most %(count)s attachment(s) a message.") % {
            "count": allowed.max_attachments
        }
    for file in files:
        limit = allowed.media_limit(file.mime_type)
        if limit is None:
            return _("This channel does not take %(type)s files.") % {"type": file.mime_type}
        if file.byte_size > limit:
            return _("This channel takes %(type)s files of at most %(size)s MB.") % {
                "type": file.mime_type,
                "size": limit // MB,
            }
    if allowed.reply_window is None or template:
        return None
    last = last_customer_message_at(conversation)
    now = timezone.now()
    if last is not None and now < last + allowed.reply_window:
        return None
    human_window = allowed.human_agent_window if by_person else None
    if last is not None and human_window is not None and now < last + human_window:
        return None
    hours = int(allowed.reply_window.total_seconds() // 3600)
    if allowed.templates:
        return _(
            "The customer last wrote more than %(hours)s hours ago: this channel only lets you send an "
            "approved template until they write again."
        ) % {"hours": hours}
    if allowed.human_agent_window and by_person:
        return _(
            "The customer last wrote more than %(days)s days ago: you can reply once they write again."
        ) % {"days": allowed.human_agent_window.days}
    return _(
        "The customer last wrote more than %(hours)s hours ago: you can reply once they write again."
    ) % {"hours": hours}


def in_human_agent_window(conversation: Conversation, at: datetime) -> bool:
    """Past the standard window but inside the human-agent one: a person's reply needs the
    provider's human-agent tag (Messenger's HUMAN_AGENT)."""
    allowed = capabilities_of(conversation.inbox.channel_type)
    if allowed.reply_window is None or allowed.human_agent_window is None:
        return False
    last = last_customer_message_at(conversation)
    return last is not None and last + allowed.reply_window <= at < last + allowed.human_agent_window
