"""The durable subscriber: inside the transaction of each change, which trigger it is and, when an
active rule listens to it, the rules asked to run once the change commits (never if it rolls back).

Cost per event without rules for it: a dictionary lookup (the per-process rule index).
"""

from collections.abc import Sequence
from functools import partial

from conversations import events
from conversations.commit import on_commit_once
from conversations.event_types import EventType
from conversations.models import Conversation, Message

from .models import Trigger
from .services import current_depth, rules_run, rules_wanted


def trigger_of(event: events.Event) -> str | None:
    event_type = event.get("type")
    if event_type == EventType.MESSAGE_CREATED:
        from_customer = event.get("sender_kind") == Message.SenderKind.CONTACT
        return Trigger.MESSAGE_RECEIVED if from_customer else None
    if event_type == EventType.CONVERSATION_CREATED:
        return Trigger.CONVERSATION_CREATED
    if event_type in (EventType.CONVERSATION_UPDATED, EventType.CONVERSATION_ASSIGNED):
        return Trigger.CONVERSATION_UPDATED
    if event_type == EventType.CONVERSATION_STATUS_CHANGED:
        resolved = event.get("status") == Conversation.Status.RESOLVED
        return Trigger.CONVERSATION_RESOLVED if resolved else None
    if event_type == EventType.SLA_WARNING:
        return Trigger.SLA_WARNING
    if event_type == EventType.SLA_BREACHED:
        return Trigger.SLA_BREACHED
    return None


def hear_events(batch: Sequence[events.Event]) -> None:
    """Ask for the rules of each event's trigger to run after commit (robust: a failing rule run
    never fails the change), at the depth of the change that published it."""
    for event in batch:
        trigger = trigger_of(event)
        if trigger is None or not rules_wanted(trigger) or event.get("conversation_id") is None:
            continue
        message_text = (
            (event.get("message") or {}).get("body", "") if trigger == Trigger.MESSAGE_RECEIVED else ""
        )
        depth = current_depth()
        # Once per conversation, trigger and depth per transaction: a rule's two actions (two
        # label changes) fire the rules listening once, not once each. Each message is its own.
        key = ("automation", trigger, event["conversation_id"], depth, event.get("message_id"))
        on_commit_once(
            key,
            partial(
                rules_run,
                trigger=trigger,
                conversation_id=event["conversation_id"],
                message_text=message_text,
                depth=depth,
            ),
        )
