"""What a customer's client may do over the socket, each checked against the visitor it serves.

Synchronous functions (the consumer runs them through database_sync_to_async); each re-reads the
visitor's identity (one query, which also loads the contact and inbox an action needs), so a
socket whose visitor was re-linked or removed can do nothing more.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from conversations import selectors, services
from conversations.models import ContactIdentity, Conversation, Message

from . import protocol
from .visitors import Visitor, VisitorRefused, current_identity


class ActionRefused(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class HistoryPage:
    conversation: Conversation
    messages: list[Message]
    has_more: bool


def _current(visitor: Visitor) -> ContactIdentity:
    try:
        return current_identity(visitor)
    except VisitorRefused as refusal:
        raise ActionRefused(refusal.code, refusal.detail) from refusal


def own_conversation(visitor: Visitor, conversation_id: int) -> Conversation:
    conversation = Conversation.objects.filter(
        pk=conversation_id, contact_id=visitor.contact_id, inbox_id=visitor.inbox_id
    ).first()
    if conversation is None:
        raise ActionRefused(protocol.ErrorCode.NOT_FOUND, "No such conversation.")
    return conversation


def typing_target(visitor: Visitor, conversation_id: int) -> Conversation:
    _current(visitor)
    return own_conversation(visitor, conversation_id)


def conversations_list(visitor: Visitor) -> list[dict]:
    _current(visitor)
    conversations = selectors.conversations_of_contact(
        contact_id=visitor.contact_id, inbox_id=visitor.inbox_id
    )
    return [protocol.conversation_payload(conversation) for conversation in conversations[:50]]


def message_send(visitor: Visitor, *, conversation_id: int | None, client_message_id: str, body: str) -> dict:
    """Store the visitor's message; returns it as the ack shows it (with its seq)."""
    identity = _current(visitor)
    conversation = own_conversation(visitor, conversation_id) if conversation_id is not None else None
    try:
        message = services.message_receive(
            inbox=identity.inbox,
            contact=identity.contact,
            conversation=conversation,
            body=body,
            client_message_id=client_message_id,
        )
    except ValidationError as error:
        raise ActionRefused(protocol.ErrorCode.INVALID, " ".join(error.messages)) from error
    return protocol.message_payload(message)


def history(
    visitor: Visitor, *, conversation_id: int, after_seq: int | None, before_seq: int | None, limit: int
):
    _current(visitor)
    conversation = own_conversation(visitor, conversation_id)
    common = {
        "conversation_id": conversation.pk,
        "include_private": False,
        "limit": limit + 1,
        "related": protocol.SENDER_RELATED,
    }
    if before_seq is not None:
        page = selectors.message_history_before(before_seq=before_seq, **common)
        has_more, messages = len(page) > limit, page[-limit:]
    else:
        page = list(selectors.message_history_after(after_seq=after_seq or 0, **common))
        has_more, messages = len(page) > limit, page[:limit]
    return HistoryPage(conversation=conversation, messages=messages, has_more=has_more)


def mark_read(visitor: Visitor, *, conversation_id: int, seq: int) -> None:
    _current(visitor)
    services.conversation_mark_read_by_contact(
        conversation=own_conversation(visitor, conversation_id), up_to_seq=seq
    )
