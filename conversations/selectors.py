"""Reads that pages, endpoints and consumers need, with their joins done.

`related` lets a caller add joins it renders (say, the sender's profile) without the core
naming other apps' models.
"""

from collections.abc import Sequence

from django.db.models import QuerySet

from .models import Conversation, Message, MessageTemplate

HISTORY_PAGE_SIZE = 50


def message_history_after(
    *,
    conversation_id: int,
    after_seq: int,
    include_private: bool,
    limit: int = HISTORY_PAGE_SIZE,
    related: Sequence[str] = (),
) -> QuerySet[Message]:
    """Messages after `after_seq`, oldest first: what a client that saw a gap or reconnected needs."""
    messages = Message.objects.filter(conversation_id=conversation_id, seq__gt=after_seq)
    if not include_private:
        messages = messages.filter(is_private=False)
    return (
        messages.select_related("sender_agent", *related)
        .prefetch_related("attachments")
        .order_by("seq")[:limit]
    )


def message_history_before(
    *,
    conversation_id: int,
    before_seq: int,
    include_private: bool,
    limit: int = HISTORY_PAGE_SIZE,
    related: Sequence[str] = (),
) -> list[Message]:
    """The page of older messages before `before_seq` (scrolling back), returned oldest first."""
    messages = Message.objects.filter(conversation_id=conversation_id, seq__lt=before_seq)
    if not include_private:
        messages = messages.filter(is_private=False)
    page = (
        messages.select_related("sender_agent", *related)
        .prefetch_related("attachments")
        .order_by("-seq")[:limit]
    )
    return list(reversed(page))


def message_for_clients(*, message_id: int, related: Sequence[str] = ()) -> Message | None:
    return (
        Message.objects.select_related("sender_agent", "conversation", *related)
        .prefetch_related("attachments")
        .filter(pk=message_id)
        .first()
    )


def conversations_of_contact(*, contact_id: int, inbox_id: int) -> QuerySet[Conversation]:
    """A customer's conversations on one inbox, newest activity first."""
    return (
        Conversation.objects.filter(contact_id=contact_id, inbox_id=inbox_id)
        .select_related("assignee")
        .order_by("-last_activity_at", "-pk")
    )


def message_sent_by_contact(*, inbox_id: int, contact_id: int, client_message_id: str) -> Message | None:
    """The message this contact already sent on this inbox under `client_message_id`, if any: a
    resent upload is answered from here before its file is stored again (one indexed lookup)."""
    return (
        Message.objects.prefetch_related("attachments")
        .filter(inbox_id=inbox_id, client_message_id=client_message_id, conversation__contact_id=contact_id)
        .first()
    )


def approved_templates(inbox_id: int) -> list[MessageTemplate]:
    """The templates of an inbox the provider approved, by name: what an agent may pick."""
    return list(MessageTemplate.objects.filter(inbox_id=inbox_id, status__iexact="APPROVED"))
