"""Direct frames of the event catalogue (event_catalogue.py): a socket's own replies to its client
(hello, history, acks, errors, resync) and the admin's webhook ping, never through the channel
layer. The desk's and the customer's sockets shape some differently."""

from typing import Any, Literal, NotRequired, TypedDict

from .event_types import EventType
from .payloads import ConversationPayload, MessagePayload


class DeskHello(TypedDict):
    type: Literal[EventType.HELLO]
    protocol: int
    agent_id: int
    inbox_ids: list[int]
    availability: str


class ClientHello(TypedDict):
    type: Literal[EventType.HELLO]
    protocol: int
    contact_id: int
    conversations: list[ConversationPayload]


class DeskPong(TypedDict):
    type: Literal[EventType.PONG]
    ref: Any
    availability: str


class ClientPong(TypedDict):
    type: Literal[EventType.PONG]
    ref: Any
    seqs: dict[str, int]  # conversation id (a JSON key) to its latest seq


class DeskHistory(TypedDict):
    type: Literal[EventType.HISTORY]
    ref: Any
    conversation: ConversationPayload
    has_more: bool
    messages: list[MessagePayload]


class ClientHistory(TypedDict):
    type: Literal[EventType.HISTORY]
    ref: Any
    conversation_id: int
    last_seq: int
    has_more: bool
    messages: list[MessagePayload]


class ConversationsReply(TypedDict):
    type: Literal[EventType.CONVERSATIONS]
    ref: Any
    conversations: list[ConversationPayload]


class MessageAck(TypedDict):
    type: Literal[EventType.MESSAGE_ACK]
    ref: Any
    conversation_id: int
    message: MessagePayload


class SessionEndReply(TypedDict):
    type: Literal[EventType.SESSION_END]
    ref: Any
    ended: bool


class TranscriptQueued(TypedDict):
    type: Literal[EventType.TRANSCRIPT_QUEUED]
    ref: Any
    email: str


class ErrorEvent(TypedDict):
    type: Literal[EventType.ERROR]
    code: str
    detail: str
    ref: NotRequired[Any]
    retry_after_ms: NotRequired[int]  # with code "busy" or "rate_limited": when to send again


class EventFetch(TypedDict):
    type: Literal[EventType.EVENT_FETCH]
    event: str  # the type of the event left out
    ref: Any
    conversation_id: int | None
    seq: int | None


class Resync(TypedDict):
    type: Literal[EventType.RESYNC]
    reason: str  # "behind": the client read too slowly, or the server was too busy to deliver in time
    at: float  # when the socket caught up (Unix time); events before it may have been missed


class WebhookPing(TypedDict):
    type: Literal[EventType.WEBHOOK_PING]
    created_at: str
    data: dict[str, Any]
