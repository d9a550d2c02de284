"""Reads of the API channel, each scoped to the calling inbox and to what a customer may see."""

from api_common.serializers import MAX_ID
from conversations import selectors
from conversations.models import ContactIdentity, Conversation, Inbox, Message
from conversations.payloads import SENDER_RELATED


def identity_on_inbox(*, inbox: Inbox, source_id: str) -> ContactIdentity | None:
    return ContactIdentity.objects.select_related("contact").filter(inbox=inbox, source_id=source_id).first()


def conversations_of_source(*, inbox: Inbox, source_id: str) -> list[Conversation] | None:
    """The customer's conversations on this inbox, newest activity first; None for no such customer.
    Two queries."""
    identity = ContactIdentity.objects.filter(inbox=inbox, source_id=source_id).values("contact_id").first()
    if identity is None:
        return None
    return list(selectors.conversations_of_contact(contact_id=identity["contact_id"], inbox_id=inbox.pk))


def conversation_of_inbox(*, inbox: Inbox, conversation_id: int) -> Conversation | None:
    if not 1 <= conversation_id <= MAX_ID:  # beyond a bigint cannot exist, and must not reach SQL
        return None
    return Conversation.objects.filter(pk=conversation_id, inbox=inbox).first()


def public_messages_after(
    *, conversation: Conversation, after: int, limit: int
) -> tuple[list[Message], bool]:
    """A page of what the customer sees, oldest first: never private notes or activity lines (both
    are private). Two queries (the messages with their senders, then their attachments)."""
    page = selectors.message_page(
        conversation_id=conversation.pk,
        include_private=False,
        after_seq=after,
        limit=limit,
        related=SENDER_RELATED,
    )
    return page.messages, page.has_more


def message_for_business(message_id: int) -> Message:
    message = selectors.message_for_clients(message_id=message_id, related=SENDER_RELATED)
    assert message is not None, "the message was just stored or found"
    return message
