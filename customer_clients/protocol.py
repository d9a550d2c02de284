"""The client websocket protocol, version 1 (docs/protocol.md): limits, close and error codes.

Message and conversation payloads come from conversations.payloads, shared with the agent desk.
"""

from typing import Any

from conversations.event_catalogue import ErrorEvent, EventType
from conversations.payloads import SENDER_RELATED, conversation_payload, message_payload
from conversations.sockets import Close  # one list for both sockets; clients read it here too

PROTOCOL_VERSION = 1
HISTORY_LIMIT_MAX = 100


class ErrorCode:
    """`error` event codes; stable, for programs to branch on."""

    BAD_REQUEST = "bad_request"  # not JSON, unknown type, or a field missing or of the wrong kind
    NOT_FOUND = "not_found"  # no such conversation for you
    RATE_LIMITED = "rate_limited"
    TOO_BIG = "too_big"
    INVALID = "invalid"  # the service refused the content (empty message, reused id, too long)
    INTERNAL = "internal"  # a server fault; the request may be retried with the same ids
    BUSY = "busy"  # too many messages waiting to be stored: send again after `retry_after_ms`, same id


def close_code_for(code: str) -> int:
    """The close code that goes with a refusal of the visitor itself."""
    return Close.IDENTITY_CHANGED if code == "identity_changed" else Close.UNAUTHORIZED


def error_event(code: str, detail: str, ref: Any = None) -> ErrorEvent:
    return {"type": EventType.ERROR, "code": code, "detail": detail, "ref": ref}


__all__ = ["SENDER_RELATED", "Close", "ErrorCode", "conversation_payload", "error_event", "message_payload"]
