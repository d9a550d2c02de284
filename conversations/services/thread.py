"""The primitives every message-writing service shares: lock a conversation, append to it.

Callers own the transaction; these functions assume they run inside one.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import events
from ..models import Conversation, Message


def lock_conversation(conversation_id: int) -> Conversation:
    """Take the conversation's row lock for the rest of the transaction.

    The lock is what makes `seq` gap-free and strictly increasing: the next writer waits here until
    this transaction commits or rolls back, then reads the committed `last_seq`.
    """
    assert transaction.get_connection().in_atomic_block, "lock_conversation needs a transaction"
    return (
        Conversation.objects.select_for_update(of=("self",)).select_related("inbox").get(pk=conversation_id)
    )


def append_message(
    conversation: Conversation, *, at: datetime | None = None, also_save: Iterable[str] = (), **fields: Any
) -> Message:
    """Store the next message of `conversation` (caller holds its lock) and announce it on commit.

    Bumps `last_seq` and `last_activity_at` in the same transaction as the insert, so a rollback
    takes both back and leaves no gap. `also_save` names conversation fields the caller changed,
    written in the same UPDATE.
    """
    at = at or timezone.now()
    conversation.last_seq += 1
    conversation.last_activity_at = max(conversation.last_activity_at, at)
    conversation.save(update_fields=["last_seq", "last_activity_at", *also_save])
    message = Message.objects.create(
        conversation=conversation,
        inbox_id=conversation.inbox_id,
        seq=conversation.last_seq,
        created_at=at,
        **fields,
    )
    events.publish_on_commit(
        events.conversation_event(
            events.MESSAGE_CREATED,
            conversation,
            message_id=message.pk,
            message_seq=message.seq,
            sender_kind=message.sender_kind,
            is_private=message.is_private,
        ),
        groups=events.conversation_groups(conversation, agents_only=message.is_private),
    )
    return message


def record_activity(conversation: Conversation, text: str) -> Message:
    """An agent-only line in the history ("Ana resolved the conversation"); caller holds the lock."""
    return append_message(
        conversation,
        sender_kind=Message.SenderKind.SYSTEM,
        content_type=Message.ContentType.SYSTEM,
        body=text,
        is_private=True,
    )


def publish_status_changed(conversation: Conversation, previous_status: str) -> None:
    events.publish_on_commit(
        events.conversation_event(
            events.CONVERSATION_STATUS_CHANGED,
            conversation,
            status=conversation.status,
            previous_status=previous_status,
            snoozed_until=conversation.snoozed_until.isoformat() if conversation.snoozed_until else None,
        ),
        groups=events.conversation_groups(conversation),
    )
