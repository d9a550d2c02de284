"""The client websocket protocol, version 1 (docs/protocol.md): codes and payload shapes.

Every payload is built here, so the widget, a business's app and the docs see one shape.
"""

from typing import Any

from conversations.models import Conversation, Message

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024
HISTORY_LIMIT_MAX = 100
SENDER_RELATED = ("sender_agent__agent_profile",)


class Close:
    """Websocket close codes (4000-4999 are the application's)."""

    UNAUTHORIZED = 4001  # no, bad or expired token, or not logged in
    FORBIDDEN_ORIGIN = 4003  # the page's Origin is not allowed for this inbox
    IDENTITY_CHANGED = 4010  # the visitor was linked to another contact: open a new session
    TOO_SLOW = 4011  # the client fell too far behind: reconnect and resync after your last seq
    POLICY = 4008  # kept breaking the rate limit or sending malformed frames
    TOO_BIG = 1009  # a frame over MAX_MESSAGE_BYTES
    LOGGED_OUT = 4012  # the agent logged out or was deactivated


class ErrorCode:
    """`error` event codes; stable, for programs to branch on."""

    BAD_REQUEST = "bad_request"  # not JSON, unknown type, or a field missing or of the wrong kind
    NOT_FOUND = "not_found"  # no such conversation for you
    RATE_LIMITED = "rate_limited"
    TOO_BIG = "too_big"
    INVALID = "invalid"  # the service refused the content (empty message, too long)
    CLOSED = "conversation_closed"  # the inbox policy does not allow writing here
    INTERNAL = "internal"


def error_event(code: str, detail: str, ref: Any = None) -> dict:
    return {"type": "error", "code": code, "detail": detail, "ref": ref}


def sender_payload(message: Message) -> dict:
    if message.sender_kind != Message.SenderKind.AGENT or message.sender_agent is None:
        return {"kind": message.sender_kind}
    profile = getattr(message.sender_agent, "agent_profile", None)
    return {
        "kind": message.sender_kind,
        "agent_id": message.sender_agent_id,
        "name": getattr(profile, "name", "") or message.sender_agent.get_username(),
        "avatar_url": getattr(profile, "avatar_url", ""),
    }


def message_payload(message: Message) -> dict:
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "client_message_id": message.client_message_id,
        "sender": sender_payload(message),
        "content_type": message.content_type,
        "body": message.body,
        "attachments": [
            {
                "url": attachment.file.url if attachment.file else attachment.remote_url,
                "mime_type": attachment.mime_type,
                "name": attachment.file_name,
                "size": attachment.byte_size,
            }
            for attachment in message.attachments.all()
        ],
        "delivery_status": message.delivery_status,
        "created_at": message.created_at.isoformat(),
    }


def conversation_payload(conversation: Conversation) -> dict:
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "last_seq": conversation.last_seq,
        "read_seq": conversation.contact_last_read_seq,
        "assignee_id": conversation.assignee_id,
        "last_activity_at": conversation.last_activity_at.isoformat(),
    }
