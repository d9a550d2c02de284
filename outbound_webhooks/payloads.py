"""What a business receives: a snapshot of an event, built when it happens, from named fields only.

Each builder picks what a business may see; anything an event carries for agents alone (private
notes, activity lines, provider errors, avatars) is left out by construction, not by deletion.
docs/webhooks.md shows an example of each.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypedDict

from django.conf import settings

from conversations import events

from .models import PING, EventType

Payload = dict[str, Any]


class ConversationFacts(TypedDict):
    """What the event does not carry and the subscriber reads from the conversation row."""

    status: str
    contact_id: int
    contact__name: str


def payload_for(event: events.Event, facts: ConversationFacts, at: datetime) -> Payload:
    """The body sent for `event` (an event type listed in EventType)."""
    event_type = event["type"]
    data = {"conversation": _conversation(event, facts)}
    data.update(_DETAILS[event_type](event, facts))
    return {"type": event_type, "created_at": at.isoformat(), "data": data}


def ping_payload(subscription_id: int, at: datetime) -> Payload:
    return {
        "type": PING,
        "created_at": at.isoformat(),
        "data": {"subscription_id": subscription_id, "note": "A test event sent from the Parley admin."},
    }


def is_public(event: events.Event) -> bool:
    """Whether a business may hear of this event at all: never of a private note or an activity
    line (both are private messages)."""
    return not (event["type"] == EventType.MESSAGE_CREATED and event.get("is_private", True))


def _conversation(event: events.Event, facts: ConversationFacts) -> Payload:
    return {
        "id": event["conversation_id"],
        "inbox_id": event["inbox_id"],
        "contact_id": facts["contact_id"],
        "status": facts["status"],
        "assignee_id": event.get("assignee_id"),
        "last_seq": event.get("seq"),
    }


def _message_created(event: events.Event, facts: ConversationFacts) -> Payload:
    message = event["message"]
    return {
        "message": {
            "id": message["id"],
            "seq": message["seq"],
            "sender": _sender(message["sender"], facts),
            "content_type": message["content_type"],
            "body": message["body"],
            "attachments": [
                {
                    "url": _absolute(attachment["url"]),
                    "mime_type": attachment["mime_type"],
                    "name": attachment["name"],
                    "size": attachment["size"],
                }
                for attachment in message["attachments"]
            ],
            "delivery_status": message["delivery_status"],
            "created_at": message["created_at"],
        }
    }


def _sender(sender: Payload, facts: ConversationFacts) -> Payload:
    kind = sender["kind"]
    if kind == "contact":
        return {"kind": kind, "contact_id": facts["contact_id"], "name": facts["contact__name"]}
    if kind == "agent" and "agent_id" in sender:
        return {"kind": kind, "agent_id": sender["agent_id"], "name": sender.get("name", "")}
    return {"kind": kind}


def _absolute(url: str | None) -> str | None:
    """Stored files have site-relative URLs; a business's server needs the whole address. None:
    a provider's file still downloading (message.updated brings its URL once stored)."""
    if url is None:
        return None
    return f"{settings.PUBLIC_URL}{url}" if url.startswith("/") else url


def _message_updated(event: events.Event, facts: ConversationFacts) -> Payload:
    return {
        "message": {
            "id": event["message_id"],
            "seq": event["message_seq"],
            "delivery_status": event["delivery_status"],
        }
    }


def _nothing_more(event: events.Event, facts: ConversationFacts) -> Payload:
    return {}


def _status_changed(event: events.Event, facts: ConversationFacts) -> Payload:
    return {"previous_status": event.get("previous_status"), "snoozed_until": event.get("snoozed_until")}


def _assigned(event: events.Event, facts: ConversationFacts) -> Payload:
    assignee_id = event.get("assignee_id")
    assignee = None if assignee_id is None else {"id": assignee_id, "name": event.get("assignee_name")}
    return {"assignee": assignee, "team_id": event.get("team_id")}


def _updated(event: events.Event, facts: ConversationFacts) -> Payload:
    """Only the attributes this change set; the others are left out rather than guessed."""
    return {name: event[name] for name in ("priority", "label_ids", "skill_id") if name in event}


def _merged(event: events.Event, facts: ConversationFacts) -> Payload:
    return {"into_conversation_id": event["into_conversation_id"], "into_seq": event["into_seq"]}


def _handed_off(event: events.Event, facts: ConversationFacts) -> Payload:
    return {"reason": event["reason"]}


def _automation(event: events.Event, facts: ConversationFacts) -> Payload:
    return {"rule": {"id": event["rule_id"], "name": event["rule_name"]}, "topic": event["topic"]}


_DETAILS: dict[str, Callable[[events.Event, ConversationFacts], Payload]] = {
    EventType.MESSAGE_CREATED: _message_created,
    EventType.MESSAGE_UPDATED: _message_updated,
    EventType.CONVERSATION_CREATED: _nothing_more,
    EventType.CONVERSATION_STATUS_CHANGED: _status_changed,
    EventType.CONVERSATION_ASSIGNED: _assigned,
    EventType.CONVERSATION_UPDATED: _updated,
    EventType.CONVERSATION_HANDED_OFF: _handed_off,
    EventType.CONVERSATION_MERGED: _merged,
    EventType.AUTOMATION_WEBHOOK: _automation,
}
