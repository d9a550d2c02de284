"""What each entry of a conversation's history shows, worked out once per message in Python and set
on the message for desk/_messages.html: a page of history has fifty messages, and the byline's
branches and two date filters per message were a good part of rendering it. The texts are those
the template made (same functions and formats); the template still escapes them."""

from django.utils import dateformat
from django.utils.timezone import localtime

from conversations.models import Conversation, Message
from conversations.payloads import SENDER_RELATED

from ..templatetags.desk import agent_name

# What an entry's template reads beyond the message: its sender's profile, and a mail's subject,
# copies, quote and HTML (the reverse one-to-one is joined: no query per message, mail or not).
ENTRY_RELATED = (*SENDER_RELATED, "email")

ACTIVITY_TIME = "H:i"  # an activity line ("… resolved the conversation") shows the time only
MESSAGE_TIME = "M j, H:i"


def present_entries(messages: list[Message], conversation: Conversation) -> list[Message]:
    """`messages`, each with sent_iso (`|date:'c'`), sent_text (its time as the entry shows it)
    and byline (who wrote it: the customer, the agent, the answer bot, or the system)."""
    contact_name = str(conversation.contact)
    for message in messages:
        sent_at = localtime(message.created_at)
        message.sent_iso = sent_at.isoformat()  # what the date format "c" writes
        activity = message.content_type == Message.ContentType.SYSTEM
        message.sent_text = dateformat.format(sent_at, ACTIVITY_TIME if activity else MESSAGE_TIME)
        message.byline = _byline(message, contact_name)
    return messages


def _byline(message: Message, contact_name: str) -> str:
    if message.sender_kind == Message.SenderKind.CONTACT:
        return contact_name
    if message.sender_kind == Message.SenderKind.AGENT:
        return agent_name(message.sender_agent) or "Agent"
    if message.sender_kind == Message.SenderKind.BOT:
        return "Answer bot"
    return "Bot summary" if message.is_private else "Automatic message"
