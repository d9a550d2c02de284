"""What each entry of a conversation's history shows, worked out once per message in Python for
desk/_messages.html: a page of history has fifty messages, and the byline's branches and two date
filters per message were a good part of rendering it. The texts are those the template made (same
functions and formats); the template still escapes them.

An entry is handed to the template as a dict, not the message: Django's template tries
`m[name]` before `getattr(m, name)`, so each of an entry's ~20 lookups on a model raised and caught
a TypeError first, and `m.email` on a message without a mail raised again and made the template
look the name up in dir(message) (about 40 µs, twice a message)."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.dates import MONTHS_3
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from conversations.models import Conversation, Message, MessageEmail
from conversations.payloads import SENDER_RELATED

from ..templatetags.desk import agent_name

# What an entry's template reads beyond the message: its sender's profile, and a mail's subject,
# copies, quote and HTML (the reverse one-to-one is joined: no query per message, mail or not).
ENTRY_RELATED = (*SENDER_RELATED, "email")


def present_entries(messages: list[Message], conversation: Conversation) -> list[dict]:
    """What each entry shows: the message's pk, seq, content_type, sender_kind, is_private, body,
    actions, delivery_status (and delivery_text, its label), provider_error and its code; sent_iso
    (`|date:'c'`) and sent_text (`|date:'H:i'` for an activity line, else `|date:'M j, H:i'`);
    byline (who wrote it: the customer, the agent, the answer bot, or the system); mail (its
    MessageEmail, or None) and attachments (a list)."""
    contact_name = str(conversation.contact)
    months: dict[int, str] = {}  # "M": the month's abbreviation in the active language, as dateformat's
    day_format = pgettext("a message's date, short", "%(month)s %(day)s, %(time)s")
    entries = []
    for message in messages:
        sent_at = localtime(message.created_at)
        clock = f"{sent_at.hour:02d}:{sent_at.minute:02d}"  # "H:i"
        if message.content_type == Message.ContentType.SYSTEM:
            sent_text = clock
        else:
            month = months.get(sent_at.month)
            if month is None:
                month = months[sent_at.month] = MONTHS_3[sent_at.month].title()
            sent_text = day_format % {"month": month, "day": sent_at.day, "time": clock}
        entries.append(
            {
                "pk": message.pk,
                "seq": message.seq,
                "content_type": message.content_type,
                "sender_kind": message.sender_kind,
                "is_private": message.is_private,
                "body": message.body,
                "actions": message.actions,
                "delivery_status": message.delivery_status,
                "delivery_text": message.get_delivery_status_display(),
                "provider_error": message.provider_error,
                "provider_error_code": message.provider_error_code,
                "sent_iso": sent_at.isoformat(),  # what the date format "c" writes
                "sent_text": sent_text,
                "byline": _byline(message, contact_name),
                "mail": _mail(message),
                "attachments": list(message.attachments.all()),
            }
        )
    return entries


def _mail(message: Message) -> MessageEmail | None:
    try:
        return message.email
    except ObjectDoesNotExist:
        return None


def _byline(message: Message, contact_name: str) -> str:
    if message.sender_kind == Message.SenderKind.CONTACT:
        return contact_name
    if message.sender_kind == Message.SenderKind.AGENT:
        return agent_name(message.sender_agent) or _("Agent")
    if message.sender_kind == Message.SenderKind.BOT:
        return _("Answer bot")
    return _("Bot summary") if message.is_private else _("Automatic message")
