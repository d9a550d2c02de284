"""Events that announce committed changes, and the one helper that publishes them.

Events are small: ids and scalars, never rendered content. Consumers fetch what they show
through selectors, so an event lost by the (at-most-once) channel layer costs nothing but a
resync: every event about a conversation carries that conversation's latest `seq`.

Groups: agents listen on their inboxes' groups; a widget or app client listens on its contact's
group. Private notes and agent-only activity are published to the inbox group alone.
"""

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

MESSAGE_CREATED = "message.created"
MESSAGE_UPDATED = "message.updated"  # delivery status moved forward
CONVERSATION_CREATED = "conversation.created"
CONVERSATION_STATUS_CHANGED = "conversation.status_changed"
CONVERSATION_ASSIGNED = "conversation.assigned"
CONVERSATION_READ = "conversation.read"

Event = dict[str, Any]


def inbox_group(inbox_id: int) -> str:
    return f"inbox.{inbox_id}"


def contact_group(contact_id: int) -> str:
    return f"contact.{contact_id}"


def conversation_groups(conversation: Any, *, agents_only: bool = False) -> tuple[str, ...]:
    """The groups that hear about this conversation: its inbox's agents and, unless the event is
    agent-only, its contact's clients."""
    if agents_only:
        return (inbox_group(conversation.inbox_id),)
    return inbox_group(conversation.inbox_id), contact_group(conversation.contact_id)


def conversation_event(event_type: str, conversation: Any, **fields: Any) -> Event:
    """An event about one conversation, stamped with its latest seq."""
    return {
        "type": event_type,
        "conversation_id": conversation.pk,
        "inbox_id": conversation.inbox_id,
        "seq": conversation.last_seq,
        **fields,
    }


def publish_on_commit(event: Event, *, groups: Iterable[str]) -> None:
    """Send `event` to `groups` once the current transaction commits; never if it rolls back.

    Outside a transaction Django runs the callback at once, which is after the autocommit write.
    A layer failure is logged, not raised: the change is already committed and clients resync.
    """
    groups = tuple(groups)

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        for group in groups:
            async_to_sync(layer.group_send)(group, event)

    transaction.on_commit(send, robust=True)
