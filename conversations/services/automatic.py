"""What Parley itself says in a conversation, for the edge apps that reach the core only through its
services (reports' satisfaction survey): a message to the customer from sender `system`, and an
agent-only activity line.

Neither is a person's response (docs/reports.md, "Words"); both go through the same append and
delivery as every other message, so seq, persist-first and at-least-once delivery hold for them.
"""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from ..capabilities import send_refusal
from ..models import Conversation, Message
from .appending import already_stored, append_outgoing, check_actions, record_activity
from .locks import lock_conversation


def message_post_automatic(
    *,
    conversation_id: int,
    body: str,
    actions: Sequence[dict] = (),
    template: dict | None = None,
    client_message_id: str | None = None,
    while_resolved_at: datetime | None = None,
) -> Message | None:
    """Parley says `body` to the customer (with `actions` offered as replies), or sends the
    approved `template` ({"name", "language", "parameters"}; `body` is its rendered text), the
    one thing a channel with a reply window takes once it has closed.

    With `while_resolved_at`, only while the conversation is still resolved by the resolve made at
    that instant: a question asked on resolve is pointless once the customer wrote again, so None,
    and nothing stored, after a reopen. Refused (ValidationError) where the channel would refuse an
    automatic message. Idempotent by `client_message_id` (a task run twice): the stored message is
    returned whatever happened since.
    """
    check_actions(actions)
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        stored = already_stored(conversation, client_message_id)
        if stored is not None:
            return stored
        if while_resolved_at is not None and (
            conversation.status != Conversation.Status.RESOLVED
            or conversation.resolved_at != while_resolved_at
        ):
            return None
        refusal = send_refusal(conversation, body=body, by_person=False, template=template is not None)
        if refusal is not None:
            raise ValidationError(refusal)
        return append_outgoing(
            conversation,
            sender_kind=Message.SenderKind.SYSTEM,
            body=body,
            actions=actions,
            client_message_id=client_message_id,
            template=template,
        )


def message_post_activity(*, conversation_id: int, text: str) -> Message:
    """An agent-only line from Parley in the conversation's history ("Customer rated 5/5: …"): the
    desk shows it among the messages, the customer never sees it."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        return record_activity(conversation, text)
