"""Live sessions: the synchronous stretches of a conversation (DESIGN.md, "Live chat and messaging").

In a `live` inbox a session is the live chat itself (kind `live`), below. In a `messaging` inbox
nothing ends when someone leaves: a session (kind `messaging`) only records, for the metrics, a
stretch where both sides were there. It opens when an agent answers a customer who is present,
stays open while messages go both ways, and closes when the customer leaves or after the inbox's
inactivity timeout, at the moment the stretch really ended; closing it changes nothing else.

The customer's message opens a session, which waits in its inbox's queue until an agent takes it
(queue.py tells the waiting customers their positions as the queue moves). It ends when the
customer leaves (gone longer than PARLEY_LIVE_LEAVE_GRACE) or after the inbox's inactivity
timeout (expiry.py), or when the customer or an agent ends it (here). The end resolves and
unassigns the conversation (the live chat is over; the agent's live capacity is free) and the next
message opens a new session.

Every change to a session happens under its conversation's lock (lock order: contact, then
conversation), except the customer's presence marks, which are single conditional UPDATEs that
the expiry re-checks under the lock.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from .. import events, registry
from ..event_catalogue import EventType
from ..models import Conversation, LiveSession, Message
from .appending import (
    actor_name,
    assigned_event,
    message_created_event,
    record_activity,
    status_changed_event,
)
from .ending import chats_close_with_lines
from .locks import lock_conversation
from .queue import queue_moved

Reason = LiveSession.CloseReason
Kind = LiveSession.Kind
ACTIVITY_LINES = {
    Reason.CUSTOMER_LEFT: "Chat ended: the customer left",
    Reason.CUSTOMER_ENDED: "The customer ended the chat",
    Reason.INACTIVITY: "Chat ended after inactivity",
    Reason.AGENT_ENDED: "{actor} ended the chat",
}


# --- hooks the message and assignment services call, holding the conversation's lock ---


def session_note_customer_message(conversation: Conversation, at: datetime) -> None:
    """The customer wrote: their open session is active again (and they are present), or a new
    one opens and joins the queue."""
    if _goes_on_with_the_customer_here(conversation, at):
        return
    LiveSession.objects.create(
        conversation=conversation, inbox_id=conversation.inbox_id, opened_at=at, last_activity_at=at
    )
    record_activity(conversation, "Live chat started: waiting in the queue for an agent")
    queue_moved(conversation.inbox_id)


def session_note_agent_reply(conversation: Conversation, at: datetime) -> None:
    LiveSession.objects.filter(conversation=conversation, closed_at__isnull=True).update(
        last_activity_at=Greatest(F("last_activity_at"), Value(at)),
        first_response_at=Coalesce(F("first_response_at"), Value(at)),
    )


def stretch_note_customer_message(conversation: Conversation, at: datetime) -> None:
    """A messaging customer wrote: a stretch where both are there goes on (they are here)."""
    _goes_on_with_the_customer_here(conversation, at)


def stretch_note_agent_reply(
    conversation: Conversation, agent_id: int, at: datetime, *, customer_here: bool
) -> None:
    """A messaging agent replied. To a customer who is here, that is (or goes on) a stretch where
    both are there; to one who is not, it neither opens nor prolongs one."""
    if not customer_here:
        return
    if not _goes_on_with_the_customer_here(conversation, at):
        LiveSession.objects.create(
            conversation=conversation,
            inbox_id=conversation.inbox_id,
            kind=Kind.MESSAGING,
            agent_id=agent_id,
            opened_at=at,
            assigned_at=at,
            first_response_at=at,
            last_activity_at=at,
        )


def _goes_on_with_the_customer_here(conversation: Conversation, at: datetime) -> int:
    """The conversation's open session (of either kind), if any, is active at `at` and its customer
    is here. Returns 1 when there was one, 0 when not."""
    return LiveSession.objects.filter(conversation=conversation, closed_at__isnull=True).update(
        last_activity_at=Greatest(F("last_activity_at"), Value(at)), customer_left_at=None
    )


def session_note_assigned(conversation: Conversation, assignee_id: int | None, at: datetime) -> None:
    """An agent took the conversation (or gave it back): its open session leaves (or rejoins) the
    queue. The queue wait ends at the first take."""
    changed = LiveSession.objects.filter(
        conversation=conversation, closed_at__isnull=True, kind=Kind.LIVE
    ).update(
        agent_id=assignee_id,
        assigned_at=Case(When(assigned_at__isnull=True, then=Value(at)), default=F("assigned_at")),
    )
    if changed:
        queue_moved(conversation.inbox_id)


def session_note_resolved(conversation: Conversation, at: datetime) -> None:
    """An agent resolved the conversation: its open session (if any) ends with it."""
    session = LiveSession.objects.filter(conversation=conversation, closed_at__isnull=True).first()
    if session is None:
        return
    session.closed_at, session.close_reason, session.customer_left_at = at, Reason.RESOLVED, None
    session.save(update_fields=["closed_at", "close_reason", "customer_left_at"])
    if session.kind == Kind.MESSAGING:
        return  # a record for the metrics: the customer's widget has no chat to end
    events.publish_on_commit(
        events.conversation_event(
            EventType.SESSION_ENDED,
            conversation,
            session_id=session.pk,
            close_reason=Reason.RESOLVED,
            status=Conversation.Status.RESOLVED,
        ),
        groups=events.conversation_groups(conversation),
    )
    if session.agent_id is None:
        queue_moved(conversation.inbox_id)


# --- the customer's presence, from their client sockets ---


def session_customer_present(*, contact_id: int, inbox_id: int, present: bool) -> int:
    """Mark the customer's open sessions on this inbox present (a client connected, the widget
    opened) or gone since now (the last client left, the widget closed). Returns the rows changed."""
    sessions = LiveSession.objects.filter(
        conversation__contact_id=contact_id, inbox_id=inbox_id, closed_at__isnull=True
    )
    if present:
        return sessions.filter(customer_left_at__isnull=False).update(customer_left_at=None)
    return sessions.filter(customer_left_at__isnull=True).update(customer_left_at=timezone.now())


# --- ending live chats ---


def live_session_end(
    *, conversation: Conversation, reason: str, actor: AbstractBaseUser | None = None
) -> bool:
    """End the conversation's open session (the customer or an agent ended the chat). Returns
    whether there was one; ending an ended chat changes nothing."""
    with transaction.atomic():
        lock_conversation(conversation.pk)
        session = (
            LiveSession.objects.select_for_update(of=("self",))
            .select_related("conversation__inbox")
            .filter(conversation_id=conversation.pk, closed_at__isnull=True, kind=Kind.LIVE)
            .first()
        )
        if session is None:
            return False
        ended = live_chats_end(
            sessions=[session], reasons={session.pk: reason}, now=timezone.now(), actor=actor
        )
        live_chats_followed_up(ended)
        return True


@dataclass(frozen=True)
class ChatsEnded:
    """What ending live chats freed, for the caller to act on after commit."""

    agent_ids: frozenset[int]  # agents with a live slot free now: routing is due for them
    queue_inbox_ids: frozenset[int]  # inboxes whose queue lost a waiting chat: it moved


def live_chats_end(
    *,
    sessions: list[LiveSession],
    reasons: dict[int, str],
    now: datetime,
    actor: AbstractBaseUser | None,
) -> ChatsEnded:
    """Close live `sessions` and resolve and unassign their conversations, each with an activity
    line, in a fixed number of statements. The caller holds the conversations' locks.

    Each end is announced after commit by one event, session.ended, which carries all it changed
    (the status, the stamped assignee now None, the end line as agents see it): clients update
    from it alone. Durable subscribers (reports, webhooks) still hear each change as its own event
    (the line, the status change, the unassignment), inside the transaction, in one batch. Routing
    the freed agents and telling the moved queues is the caller's (ChatsEnded): at once for one
    chat (live_chats_followed_up), paced for a sweep."""
    if not sessions:
        return ChatsEnded(frozenset(), frozenset())
    actor_label = actor_name(actor)
    ended = chats_close_with_lines(
        lines={
            session.conversation_id: (
                session.pk,
                reasons[session.pk],
                ACTIVITY_LINES[reasons[session.pk]].format(actor=actor_label),
            )
            for session in sessions
        },
        now=now,
    )
    with events.published_together():
        for session in sessions:
            _announce_end(session, *ended[session.conversation_id], reasons[session.pk])
    return ChatsEnded(
        agent_ids=frozenset(session.agent_id for session in sessions if session.agent_id is not None),
        queue_inbox_ids=frozenset(session.inbox_id for session in sessions if session.agent_id is None),
    )


def _announce_end(session: LiveSession, conversation: Conversation, line: Message, reason: str) -> None:
    previous = session.conversation  # as it was, read under the lock before the end
    line_event = message_created_event(conversation, line)
    events.hand_over_durably(line_event)
    if previous.status != conversation.status:
        events.hand_over_durably(status_changed_event(conversation, previous.status))
    if previous.assignee_id is not None:
        events.hand_over_durably(assigned_event(conversation, None, None))
    events.publish_on_commit(
        events.conversation_event(
            EventType.SESSION_ENDED,
            conversation,
            session_id=session.pk,
            close_reason=reason,
            status=conversation.status,
            message=line_event["message"],
        ),
        groups=events.conversation_groups(conversation),
    )


def live_chats_followed_up(ended: ChatsEnded) -> None:
    """After ending a few chats: route their agents (a live slot is free) and tell the queues that
    moved, once each, after commit."""
    for agent_id in sorted(ended.agent_ids):
        registry.routing_due(agent_id=agent_id)
    for inbox_id in sorted(ended.queue_inbox_ids):
        queue_moved(inbox_id)


def live_slots_route(*, agent_ids: list[int]) -> None:
    """Agents whose live slots a sweep freed get waiting work: each agent's inboxes are routed
    once (the route_freed_agents job, so a sweep's batch never waits on routing)."""
    for agent_id in sorted(set(agent_ids)):
        registry.routing_due(agent_id=agent_id)
