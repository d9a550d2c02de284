"""The client websocket protocol, version 1 (docs/protocol.md): limits, close and error codes.

Message and conversation payloads come from conversations.payloads, shared with the agent desk.
"""

from typing import Any

from conversations.payloads import SENDER_RELATED, conversation_payload, message_payload

PROTOCOL_VERSION = 1
HISTORY_LIMIT_MAX = 100


class Close:
    """Websocket close codes (4000-4999 are the application's)."""

    UNAUTHORIZED = 4001  # no, bad or expired token, or the visitor no longer exists
    FORBIDDEN_ORIGIN = 4003  # the page's Origin is not allowed for this inbox
    POLICY = 4008  # kept breaking the rate limit or sending malformed frames
    IDENTITY_CHANGED = 4010  # the visitor was linked to another contact: open a new session
    TOO_SLOW = 4011  # events reached this socket too late: reconnect and resync from the last seq
    TOO_BIG = 4009  # a frame over sockets.MAX_FRAME_BYTES (1009 is reserved to the websocket server)


class ErrorCode:
    """`error` event codes; stable, for programs to branch on."""

    BAD_REQUEST = "bad_request"  # not JSON, unknown type, or a field missing or of the wrong kind
    NOT_FOUND = "not_found"  # no such conversation for you
    RATE_LIMITED = "rate_limited"
    TOO_BIG = "too_big"
    INVALID = "invalid"  # the service refused the content (empty message, reused id, too long)
    INTERNAL = "internal"  # a server fault; the request may be retried with the same ids


def close_code_for(code: str) -> int:
    """The close code that goes with a refusal of the visitor itself."""
    return Close.IDENTITY_CHANGED if code == "identity_changed" else Close.UNAUTHORIZED


def error_event(code: str, detail: str, ref: Any = None) -> dict:
    return {"type": "error", "code": code, "detail": detail, "ref": ref}


__all__ = ["SENDER_RELATED", "Close", "ErrorCode", "conversation_payload", "error_event", "message_payload"]
