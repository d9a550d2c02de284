"""The names of the event catalogue (event_catalogue.py): every event type, every request a client
sends, the routes an event travels and the audiences that receive it. Wire values never change."""

from enum import Flag, StrEnum, auto


class EventType(StrEnum):
    # committed: changes announced after commit
    MESSAGE_CREATED = "message.created"
    MESSAGE_UPDATED = "message.updated"  # delivery status moved forward, or a provider's file arrived
    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_STATUS_CHANGED = "conversation.status_changed"
    CONVERSATION_ASSIGNED = "conversation.assigned"
    CONVERSATION_UPDATED = "conversation.updated"  # priority, labels or required skill
    CONVERSATION_HANDED_OFF = "conversation.handed_off"  # the answer bot gave it to people, and why
    CONVERSATION_READ = "conversation.read"
    CONVERSATION_MERGED = "conversation.merged"  # an agent merged it into another: its messages moved there
    SLA_BREACHED = "sla.breached"  # a service-level deadline passed unmet (reports' beat sweep)
    AUTOMATION_WEBHOOK = "automation.webhook"  # an automation rule asked for a business webhook
    SLA_WARNING = "sla.warning"  # a service-level deadline is near (its policy's warn_before)
    SESSION_QUEUED = "session.queued"  # a live session waits: its queue position and estimated wait
    SESSION_ENDED = "session.ended"  # a live session ended, with its close_reason
    AGENT_MENTIONED = "agent.mentioned"  # a note names the agent
    AGENT_MENTIONS_READ = "agent.mentions_read"  # the agent read mentions (in any of their tabs)
    AGENT_SIGNED_OUT = "agent.signed_out"  # a logout or deactivation: that agent's desks close
    AGENT_PRESENCE = "agent.presence"  # an agent's availability changed
    CONTACT_IDENTITY_CHANGED = "contact.identity_changed"  # sockets of that identity must re-open
    # ephemeral: sent at once, nothing stored
    AGENT_TYPING = "agent.typing"
    AGENT_VIEWING = "agent.viewing"
    CONTACT_TYPING = "contact.typing"
    CONTACT_PRESENCE = "contact.presence"  # the customer's socket opened or closed
    # direct: a socket's own frames, and the webhook test
    HELLO = "hello"
    PONG = "pong"
    HISTORY = "history"
    CONVERSATIONS = "conversations"
    MESSAGE_ACK = "message.ack"
    SESSION_END = "session.end"  # the reply to the request of the same name
    TRANSCRIPT_QUEUED = "transcript.queued"
    ERROR = "error"
    EVENT_FETCH = "event.fetch"  # in place of an event too big for one frame
    RESYNC = "resync"  # the socket fell behind and missed events: resync every conversation by seq
    WEBHOOK_PING = "ping"  # the admin's test delivery to a webhook subscription


class Request(StrEnum):
    """What clients send over a socket (REQUESTS says which socket accepts each)."""

    MESSAGE_SEND = "message.send"
    HISTORY_AFTER = "history.after"
    HISTORY_BEFORE = "history.before"
    CONVERSATIONS_LIST = "conversations.list"
    READ = "read"
    TYPING = "typing"
    PING = "ping"
    PRESENCE = "presence"
    SESSION_END = "session.end"
    TRANSCRIPT_REQUEST = "transcript.request"
    VIEWING = "viewing"


class Route(StrEnum):
    COMMITTED = "committed"
    EPHEMERAL = "ephemeral"
    DIRECT = "direct"


class Audience(Flag):
    DESK = auto()
    CUSTOMER = auto()
    WEBHOOK = auto()


NOBODY = Audience(0)
SOCKETS = Audience.DESK | Audience.CUSTOMER
