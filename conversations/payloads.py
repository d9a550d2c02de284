"""The JSON shapes of messages and conversations that every client (widget, app, desk) receives.

`SENDER_RELATED` is the join a caller adds so sender names cost no extra query; the agent's
profile is reached by its relation name, without importing the agents app. The TypedDicts are
these shapes as events carry them (conversations.event_catalogue).
"""

from collections.abc import Iterable
from typing import NotRequired, TypedDict

from .models import Attachment, Conversation, Message

SENDER_RELATED = ("sender_agent__agent_profile",)
AGENT_ONLY_FIELDS = ("is_private", "error_code", "error")


class SenderPayload(TypedDict):
    kind: str  # contact, agent, bot or system
    agent_id: NotRequired[int]
    name: NotRequired[str]
    avatar_url: NotRequired[str]


class AttachmentPayload(TypedDict):
    url: str | None  # None until a provider's file is downloaded
    mime_type: str
    name: str
    size: int


class ActionPayload(TypedDict):
    id: str
    title: str


class MessagePayload(TypedDict):
    id: int
    conversation_id: int
    seq: int
    client_message_id: str | None
    sender: SenderPayload
    content_type: str
    body: str
    attachments: list[AttachmentPayload]
    actions: list[ActionPayload]  # replies offered with a bot's message
    delivery_status: str
    created_at: str
    is_private: NotRequired[bool]  # AGENT_ONLY_FIELDS
    error_code: NotRequired[str]
    error: NotRequired[str]


class ConversationPayload(TypedDict):
    id: int
    status: str
    last_seq: int
    read_seq: int
    assignee_id: int | None
    last_activity_at: str


def sender_payload(message: Message) -> SenderPayload:
    if message.sender_kind != Message.SenderKind.AGENT or message.sender_agent is None:
        return {"kind": message.sender_kind}
    profile = getattr(message.sender_agent, "agent_profile", None)
    return {
        "kind": message.sender_kind,
        "agent_id": message.sender_agent_id,
        "name": getattr(profile, "name", "") or message.sender_agent.get_username(),
        "avatar_url": getattr(profile, "avatar_url", ""),
    }


def message_payload(message: Message, *, for_agents: bool = False) -> MessagePayload:
    """A message as clients see it; agents also see whether it is private and why it failed."""
    payload: MessagePayload = {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "client_message_id": message.client_message_id,
        "sender": sender_payload(message),
        "content_type": message.content_type,
        "body": message.body,
        "attachments": [
            {
                # None until a provider's file is downloaded: its link needs the provider's key.
                "url": attachment.file.url if attachment.file else None,
                "mime_type": attachment.mime_type,
                "name": attachment.file_name,
                "size": attachment.byte_size,
            }
            for attachment in _attachments_of(message)
        ],
        "actions": message.actions,
        "delivery_status": message.delivery_status,
        "created_at": message.created_at.isoformat(),
    }
    if for_agents:
        payload.update(
            is_private=message.is_private,
            error_code=message.provider_error_code,
            error=message.provider_error,
        )
    return payload


def _attachments_of(message: Message) -> Iterable[Attachment]:
    """The message's attachments, from what was stored or prefetched with it when that is known
    (reading the prefetch directly: `message.attachments` builds a related manager per call,
    a third of rendering a message without attachments)."""
    prefetched = getattr(message, "_prefetched_objects_cache", {}).get("attachments")
    return prefetched if prefetched is not None else message.attachments.all()


def message_payload_for_clients(agents_payload: MessagePayload) -> MessagePayload:
    """The customer's view of a message already rendered for agents (events carry that one)."""
    return {name: value for name, value in agents_payload.items() if name not in AGENT_ONLY_FIELDS}


def conversation_payload(conversation: Conversation) -> ConversationPayload:
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "last_seq": conversation.last_seq,
        "read_seq": conversation.contact_last_read_seq,
        "assignee_id": conversation.assignee_id,
        "last_activity_at": conversation.last_activity_at.isoformat(),
    }
