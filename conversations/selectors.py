"""Reads that pages, endpoints and consumers need, with their joins done."""

from django.db.models import QuerySet

from .models import Message

HISTORY_PAGE_SIZE = 50


def message_history_after(
    *, conversation_id: int, after_seq: int, include_private: bool, limit: int = HISTORY_PAGE_SIZE
) -> QuerySet[Message]:
    """Messages after `after_seq`, oldest first: what a client that saw a gap or reconnected needs."""
    messages = Message.objects.filter(conversation_id=conversation_id, seq__gt=after_seq)
    if not include_private:
        messages = messages.filter(is_private=False)
    return messages.select_related("sender_agent").prefetch_related("attachments").order_by("seq")[:limit]


def message_history_before(
    *, conversation_id: int, before_seq: int, include_private: bool, limit: int = HISTORY_PAGE_SIZE
) -> list[Message]:
    """The page of older messages before `before_seq` (scrolling back), returned oldest first."""
    messages = Message.objects.filter(conversation_id=conversation_id, seq__lt=before_seq)
    if not include_private:
        messages = messages.filter(is_private=False)
    page = messages.select_related("sender_agent").prefetch_related("attachments").order_by("-seq")[:limit]
    return list(reversed(page))
