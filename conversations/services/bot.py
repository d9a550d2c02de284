"""The gate between a conversation's answer bot and its people, kept by the server alone.

An inbox's answer bot (the self-service app, through registry.register_answer_bot) may take a
conversation when it starts or when its customer reopens it unassigned; while `bot_active`,
routing leaves it alone and each customer message goes to the bot after commit. It leaves the bot
only here: `conversation_hand_off` (the bot decided, or the customer asked for a person), or a
person taking it (conversation_assign, a public agent reply: `release_from_bot`). No client
request changes `bot_active`; a customer can only write, and the bot decides what that means.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import events, registry
from ..capabilities import send_refusal
from ..event_catalogue import EventType
from ..models import Conversation, Message
from .appending import (
    already_stored,
    append_message,
    append_outgoing,
    check_actions,
    publish_status_changed,
)
from .locks import lock_conversation


def bot_takes_or_routes(conversation: Conversation, *, is_new: bool, starts_waiting: bool) -> list[str]:
    """For message_receive, after it stored a customer message (caller holds the lock): the bot's
    conversations go to the bot after commit, the rest to routing when unassigned and the customer
    `starts_waiting` (one who already waited was routed then, and is routed again when someone's
    room frees: another message changes nobody's room). A conversation that starts, or comes back
    unassigned, goes to the bot when its inbox has one that takes it. Returns the conversation
    fields it changed, for the caller to save."""
    changed = []
    starts_with_bot = is_new and conversation.assignee_id is None and not conversation.bot_active
    if starts_with_bot and registry.answer_bot_takes(conversation.inbox_id):
        conversation.bot_active = True
        changed.append("bot_active")
    if conversation.bot_active:
        registry.answer_bot_due(conversation.pk)
    elif conversation.assignee_id is None and starts_waiting:
        registry.routing_due(inbox_id=conversation.inbox_id)
    return changed


def message_post_bot(
    *, conversation_id: int, body: str, actions: Sequence[dict] = (), client_message_id: str | None = None
) -> Message | None:
    """The bot says `body` (with `actions` offered as replies) to the customer of a conversation it
    still has; None, and nothing stored, once a person has it. Delivered like an agent's reply on
    provider channels (outbox, after commit); refused (ValidationError) where the channel would
    refuse an automatic message. Idempotent by `client_message_id` (a task run twice)."""
    check_actions(actions)
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        if not conversation.bot_active:
            return None
        stored = already_stored(conversation, client_message_id)
        if stored is not None:
            return stored
        refusal = send_refusal(conversation, body=body, by_person=False)
        if refusal is not None:
            raise ValidationError(refusal)
        return _append_bot_message(conversation, body, actions, client_message_id)


def conversation_hand_off(*, conversation_id: int, reason: str, customer_text: str, summary: str) -> bool:
    """The bot gives the conversation to people: the customer is told `customer_text`, agents get a
    private note `summary` (the question, what the bot offered, why it handed off), the
    conversation waits for routing like any other, and the desk is told (`reason`) so agents
    notice. False, and nothing changed, when the bot no longer had it (already handed off)."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        if not conversation.bot_active:
            return False
        now = timezone.now()
        conversation.bot_active = False
        conversation.waiting_since = now
        previous_status = conversation.status
        conversation.status = Conversation.Status.OPEN
        conversation.save(update_fields=["bot_active", "waiting_since", "status"])
        if customer_text and send_refusal(conversation, body=customer_text, by_person=False) is None:
            _append_bot_message(conversation, customer_text, (), None)
        append_message(
            conversation,
            sender_kind=Message.SenderKind.SYSTEM,
            content_type=Message.ContentType.TEXT,
            body=summary,
            is_private=True,
        )
        if previous_status != conversation.status:
            publish_status_changed(conversation, previous_status)
        events.publish_on_commit(
            events.conversation_event(EventType.CONVERSATION_HANDED_OFF, conversation, reason=reason),
            groups=events.conversation_groups(conversation, agents_only=True),
        )
        if conversation.assignee_id is None:
            registry.routing_due(inbox_id=conversation.inbox_id)
        return True


def release_from_bot(conversation: Conversation) -> list[str]:
    """A person took the conversation (caller holds the lock): the bot stays out from now on.
    Returns the fields changed, for the caller to save."""
    if not conversation.bot_active:
        return []
    conversation.bot_active = False
    return ["bot_active"]


def _append_bot_message(
    conversation: Conversation, body: str, actions: Sequence[dict], client_message_id: str | None
) -> Message:
    return append_outgoing(
        conversation,
        sender_kind=Message.SenderKind.BOT,
        body=body,
        actions=actions,
        client_message_id=client_message_id,
    )
