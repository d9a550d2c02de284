"""The catalogue of events: every type Parley sends, its payload, who receives it, how it travels.

Each event is declared here once; publishers, both sockets and the webhook subscriber use these
names, and docs/protocol.md (sockets) and docs/webhooks.md (webhooks) describe the same set
(tests/conversations/test_event_catalogue.py holds the three together). Wire values never change:
widgets, apps and businesses' servers branch on them.

Routes. committed: a service publishes it once its transaction commits (events.publish_on_commit);
one about a conversation carries its latest `seq`, so losing it costs a resync. ephemeral: a
socket or the presence service sends it to groups at once; nothing stored, nothing to resync.
direct: a socket's own frame to its client (hello, replies, errors) or the admin's webhook ping,
never through the channel layer.

Audience: the desk's sockets, the customer's sockets (widget and apps: only the fields
docs/protocol.md lists), webhook subscribers (the body outbound_webhooks.payloads builds from the
event). `heard_by`: sockets that act on an event without passing it on (they close). Payloads are
what is published; a layer event also carries the `published_at` the publisher adds on the way.

The names (EventType, Request, Route, Audience) live in event_types.py and the direct frames'
payloads in event_frames.py; both are imported from here.
"""

from dataclasses import dataclass
from types import UnionType
from typing import Any, Literal, NotRequired, TypedDict

from .event_frames import (
    ClientHello,
    ClientHistory,
    ClientPong,
    ConversationsReply,
    DeskHello,
    DeskHistory,
    DeskPong,
    ErrorEvent,
    EventFetch,
    MessageAck,
    Resync,
    SessionEndReply,
    TranscriptQueued,
    WebhookPing,
)
from .event_types import NOBODY, SOCKETS, Audience, EventType, Request, Route
from .payloads import MessagePayload

# --- committed ---


class AboutConversation(TypedDict):
    """What events.conversation_event stamps on every event about one conversation."""

    conversation_id: int
    inbox_id: int
    seq: int  # the conversation's latest seq when the change committed
    assignee_id: int | None


class MessageCreated(AboutConversation):
    type: Literal[EventType.MESSAGE_CREATED]
    message_id: int
    message_seq: int
    sender_kind: str
    is_private: bool  # private notes and activity lines go to the inbox group alone
    message: MessagePayload  # as agents see it; customer sockets drop the agent-only fields


class MessageUpdated(AboutConversation):
    type: Literal[EventType.MESSAGE_UPDATED]
    message_id: int
    message_seq: int
    delivery_status: str
    error: NotRequired[str]  # provider delivery: why it failed, if it did
    message: NotRequired[MessagePayload]  # a provider's file arrived: the message with its link


class ConversationCreated(AboutConversation):
    type: Literal[EventType.CONVERSATION_CREATED]


class ConversationStatusChanged(AboutConversation):
    type: Literal[EventType.CONVERSATION_STATUS_CHANGED]
    status: str
    previous_status: str
    snoozed_until: str | None


class ConversationAssigned(AboutConversation):
    type: Literal[EventType.CONVERSATION_ASSIGNED]
    assignee_name: str | None
    team_id: int | None
    actor_id: NotRequired[int | None]  # who assigned it (None: Parley, routing); desk sockets only


class ConversationHandedOff(AboutConversation):
    type: Literal[EventType.CONVERSATION_HANDED_OFF]
    reason: str  # asked_for_person, no_answer, not_covered, not_solved, bot_turned_off, person_took_it


class ConversationMerged(AboutConversation):
    """About the merged-away conversation: its messages now follow the survivor's, whose latest
    seq is `into_seq`."""

    type: Literal[EventType.CONVERSATION_MERGED]
    into_conversation_id: int
    into_seq: int


class ConversationUpdated(AboutConversation):
    """Only what changed: priority and label_ids, or skill_id."""

    type: Literal[EventType.CONVERSATION_UPDATED]
    priority: NotRequired[int]
    label_ids: NotRequired[list[int]]
    skill_id: NotRequired[int | None]


class ConversationRead(AboutConversation):
    type: Literal[EventType.CONVERSATION_READ]
    reader: Literal["agent", "contact"]
    read_seq: int
    agent_id: NotRequired[int]  # reader "agent" only; published to agents alone


class SlaBreached(AboutConversation):
    type: Literal[EventType.SLA_BREACHED]
    targets: list[str]  # first_response, next_response, resolution


class AutomationWebhook(AboutConversation):
    type: Literal[EventType.AUTOMATION_WEBHOOK]
    rule_id: int
    rule_name: str
    topic: str  # what the rule's administrator named it, for the business's endpoint to dispatch on


class SlaWarning(AboutConversation):
    type: Literal[EventType.SLA_WARNING]
    targets: list[str]  # first_response, next_response, resolution
    due_at: str  # the nearest of their deadlines (ISO 8601)


class SessionQueued(AboutConversation):
    type: Literal[EventType.SESSION_QUEUED]
    session_id: int
    queue_position: int
    estimated_wait_seconds: int | None


class SessionEnded(AboutConversation):
    """The end stands for all it changed: the conversation resolved (`status`), unassigned (the
    stamped `assignee_id` is None) and, unless an agent's resolve ended it, its end line."""

    type: Literal[EventType.SESSION_ENDED]
    session_id: int
    close_reason: str
    status: str  # the conversation's status now: resolved
    message: NotRequired[MessagePayload]  # the agent-only end line, as agents see it


class AgentMentioned(TypedDict):
    type: Literal[EventType.AGENT_MENTIONED]
    conversation_id: int
    message_id: int
    mention_id: int
    by: str
    excerpt: str
    unread: int  # the agent's unread mentions, this one included


class AgentMentionsRead(TypedDict):
    type: Literal[EventType.AGENT_MENTIONS_READ]
    mention_ids: list[int] | None  # None: every one ("Mark all read")
    unread: int  # the agent's unread mentions now


class AgentSignedOut(TypedDict):
    type: Literal[EventType.AGENT_SIGNED_OUT]
    agent_id: int
    session: str | None  # a digest of the session that logged out; None: every session


class AgentPresence(TypedDict):
    type: Literal[EventType.AGENT_PRESENCE]
    agent_id: int
    availability: str


class ContactIdentityChanged(TypedDict):
    type: Literal[EventType.CONTACT_IDENTITY_CHANGED]
    identity_id: int


# --- ephemeral ---


class AgentTyping(TypedDict):
    type: Literal[EventType.AGENT_TYPING]
    conversation_id: int
    seq: int
    agent_id: int
    name: str
    typing: bool
    private: bool  # a note: agents only


class AgentViewing(TypedDict):
    type: Literal[EventType.AGENT_VIEWING]
    conversation_id: int
    agent_id: int
    name: str
    viewing: bool


class ContactTyping(TypedDict):
    type: Literal[EventType.CONTACT_TYPING]
    conversation_id: int
    inbox_id: int
    seq: int
    contact_id: int
    typing: bool


class ContactPresence(TypedDict):
    type: Literal[EventType.CONTACT_PRESENCE]
    contact_id: int
    inbox_id: int
    online: bool


@dataclass(frozen=True)
class EventSpec:
    payload: type | UnionType  # a TypedDict, or one per socket where the two shape it differently
    route: Route
    audience: Audience  # who receives it
    heard_by: Audience = NOBODY  # sockets that act on it without passing it on


_COMMITTED, _EPHEMERAL, _DIRECT = Route.COMMITTED, Route.EPHEMERAL, Route.DIRECT
_DESK, _CUSTOMER, _WEBHOOK = Audience.DESK, Audience.CUSTOMER, Audience.WEBHOOK
_EVERYONE = _DESK | _CUSTOMER | _WEBHOOK

CATALOGUE: dict[EventType, EventSpec] = {
    EventType.MESSAGE_CREATED: EventSpec(MessageCreated, _COMMITTED, _EVERYONE),  # customers: public ones
    EventType.MESSAGE_UPDATED: EventSpec(MessageUpdated, _COMMITTED, _EVERYONE),
    EventType.CONVERSATION_CREATED: EventSpec(ConversationCreated, _COMMITTED, _EVERYONE),
    EventType.CONVERSATION_STATUS_CHANGED: EventSpec(ConversationStatusChanged, _COMMITTED, _EVERYONE),
    EventType.CONVERSATION_ASSIGNED: EventSpec(ConversationAssigned, _COMMITTED, _EVERYONE),
    EventType.CONVERSATION_UPDATED: EventSpec(ConversationUpdated, _COMMITTED, _DESK | _WEBHOOK),
    EventType.CONVERSATION_HANDED_OFF: EventSpec(ConversationHandedOff, _COMMITTED, _DESK | _WEBHOOK),
    EventType.CONVERSATION_MERGED: EventSpec(ConversationMerged, _COMMITTED, _EVERYONE),
    EventType.CONVERSATION_READ: EventSpec(ConversationRead, _COMMITTED, SOCKETS),  # customers: their own
    EventType.SLA_BREACHED: EventSpec(SlaBreached, _COMMITTED, _DESK),
    EventType.SLA_WARNING: EventSpec(SlaWarning, _COMMITTED, _DESK),
    EventType.AUTOMATION_WEBHOOK: EventSpec(AutomationWebhook, _COMMITTED, _WEBHOOK),
    EventType.SESSION_QUEUED: EventSpec(SessionQueued, _COMMITTED, SOCKETS),
    EventType.SESSION_ENDED: EventSpec(SessionEnded, _COMMITTED, SOCKETS),
    EventType.AGENT_MENTIONED: EventSpec(AgentMentioned, _COMMITTED, _DESK),
    EventType.AGENT_MENTIONS_READ: EventSpec(AgentMentionsRead, _COMMITTED, _DESK),
    EventType.AGENT_SIGNED_OUT: EventSpec(AgentSignedOut, _COMMITTED, NOBODY, heard_by=_DESK),
    EventType.AGENT_PRESENCE: EventSpec(AgentPresence, _COMMITTED, _DESK),
    EventType.CONTACT_IDENTITY_CHANGED: EventSpec(
        ContactIdentityChanged, _COMMITTED, NOBODY, heard_by=_CUSTOMER
    ),
    EventType.AGENT_TYPING: EventSpec(AgentTyping, _EPHEMERAL, SOCKETS),  # customers: public replies
    EventType.AGENT_VIEWING: EventSpec(AgentViewing, _EPHEMERAL, _DESK),
    EventType.CONTACT_TYPING: EventSpec(ContactTyping, _EPHEMERAL, _DESK),
    EventType.CONTACT_PRESENCE: EventSpec(ContactPresence, _EPHEMERAL, _DESK),
    EventType.HELLO: EventSpec(DeskHello | ClientHello, _DIRECT, SOCKETS),
    EventType.PONG: EventSpec(DeskPong | ClientPong, _DIRECT, SOCKETS),
    EventType.HISTORY: EventSpec(DeskHistory | ClientHistory, _DIRECT, SOCKETS),
    EventType.CONVERSATIONS: EventSpec(ConversationsReply, _DIRECT, _CUSTOMER),
    EventType.MESSAGE_ACK: EventSpec(MessageAck, _DIRECT, _CUSTOMER),
    EventType.SESSION_END: EventSpec(SessionEndReply, _DIRECT, _CUSTOMER),
    EventType.TRANSCRIPT_QUEUED: EventSpec(TranscriptQueued, _DIRECT, _CUSTOMER),
    EventType.ERROR: EventSpec(ErrorEvent, _DIRECT, SOCKETS),
    EventType.EVENT_FETCH: EventSpec(EventFetch, _DIRECT, SOCKETS),
    EventType.RESYNC: EventSpec(Resync, _DIRECT, SOCKETS),
    EventType.WEBHOOK_PING: EventSpec(WebhookPing, _DIRECT, _WEBHOOK),
}

# Which socket accepts each request.
REQUESTS: dict[Request, Audience] = {
    Request.MESSAGE_SEND: _CUSTOMER,
    Request.HISTORY_AFTER: SOCKETS,
    Request.HISTORY_BEFORE: _CUSTOMER,
    Request.CONVERSATIONS_LIST: _CUSTOMER,
    Request.READ: _CUSTOMER,
    Request.TYPING: SOCKETS,
    Request.PING: SOCKETS,
    Request.PRESENCE: _CUSTOMER,
    Request.SESSION_END: _CUSTOMER,
    Request.TRANSCRIPT_REQUEST: _CUSTOMER,
    Request.VIEWING: _DESK,
}

# What goes through the channel layer: the payload publish_on_commit and group_send take.
LayerEvent = (
    MessageCreated
    | MessageUpdated
    | ConversationCreated
    | ConversationStatusChanged
    | ConversationAssigned
    | ConversationHandedOff
    | ConversationUpdated
    | ConversationMerged
    | ConversationRead
    | SlaBreached
    | SessionQueued
    | SessionEnded
    | AgentMentioned
    | AgentMentionsRead
    | AgentSignedOut
    | AgentPresence
    | ContactIdentityChanged
    | AgentTyping
    | AgentViewing
    | ContactTyping
    | ContactPresence
)


class UncataloguedEvent(ValueError):
    """An event of a type this catalogue does not declare for the channel layer: declare it
    (with its payload and audience) and document it, then publish it."""


def check_layer_event(event: dict[str, Any]) -> None:
    """Refuse to publish what the catalogue does not declare as a layer event."""
    spec = CATALOGUE.get(event.get("type"))
    if spec is None or spec.route is Route.DIRECT:
        raise UncataloguedEvent(f"{event.get('type')!r} is not a layer event of the event catalogue")


def types_for(audience: Audience, *routes: Route) -> frozenset[EventType]:
    """The event types `audience` receives (any of its members), by the given routes (all if none)."""
    return frozenset(
        event_type
        for event_type, spec in CATALOGUE.items()
        if spec.audience & audience and (not routes or spec.route in routes)
    )
