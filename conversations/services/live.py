"""Live sessions: the synchronous stretches of a conversation (DESIGN.md, "Live chat and messaging").

In a `live` inbox a session is the live chat itself (kind `live`), below. In a `messaging` inbox
nothing ends when someone leaves: a session (kind `messaging`) only records, for the metrics, a
stretch where both sides were there. It opens when an agent answers a customer who is present,
stays open while messages go both ways, and closes when the customer leaves or after the inbox's
inactivity timeout, at the moment the stretch really ended; closing it changes nothing else.

The customer's message opens a session, which waits in its inbox's queue until an agent takes it
(queue position and an estimated wait are published to the customer as the queue moves). It ends
when the customer leaves (gone longer than PARLEY_LIVE_LEAVE_GRACE), after the inbox's inactivity
timeout, or when the customer or an agent ends it. The end resolves and unassigns the conversation
(the live chat is over; the agent's live capacity is free) and the next message opens a new session.

Every change to a session happens under its conversation's lock (lock order: contact, then
conversation), except the customer's presence marks, which are single conditional UPDATEs that
the expiry re-checks under the lock. Expiry is set-based: one batch of conversations is locked
(SKIP LOCKED: one busy right now is the next run's) and ended with a fixed number of statements.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from .. import events, registry
from ..commit import on_commit_once
from ..models import Conversation, Inbox, LiveSession
from .locks import lock_conversation
from .thread import (
    activity_line,
    actor_name,
    append_in_bulk,
    publish_assigned,
    publish_status_changed,
    record_activity,
)

Reason = LiveSession.CloseReason
Kind = LiveSession.Kind
EXPIRY_BATCH_SIZE = 200
QUEUE_PUBLISH_LIMIT = 500  # positions beyond this many waiting customers are published as they move up
WAIT_SAMPLE_SIZE = 20
ACTIVITY_LINES = {
    Reason.CUSTOMER_LEFT: "Chat ended: the customer left",
    Reason.INACTIVITY: "Chat ended after inactivity",
    Reason.AGENT_ENDED: "{actor} ended the chat",
}


@dataclass(frozen=True)
class SessionState:
    """A conversation's latest session as its customer sees it."""

    session_id: int
    state: str  # "queued", "active" or "ended"
    queue_position: int | None = None
    estimated_wait_seconds: int | None = None
    close_reason: str = ""

    def as_payload(self) -> dict:
        return {
            "id": self.session_id,
            "state": self.state,
            "queue_position": self.queue_position,
            "estimated_wait_seconds": self.estimated_wait_seconds,
            "close_reason": self.close_reason or None,
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
    _queue_moved(conversation.inbox_id)


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
        _queue_moved(conversation.inbox_id)


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
            events.SESSION_ENDED, conversation, session_id=session.pk, close_reason=Reason.RESOLVED
        ),
        groups=events.conversation_groups(conversation),
    )
    if session.agent_id is None:
        _queue_moved(conversation.inbox_id)


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


# --- ending sessions ---


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
        _end_sessions([session], {session.pk: reason}, now=timezone.now(), actor=actor)
        return True


def live_sessions_expire(*, now: datetime | None = None, batch_size: int = EXPIRY_BATCH_SIZE) -> int:
    """End, in one bounded batch, the open sessions whose customer left more than the grace period
    ago or that were idle longer than their inbox's timeout: live chats end (_end_sessions),
    messaging stretches close (_close_stretches). Returns how many ended; beat runs it again while
    there are more. A re-run (or a second beat) finds nothing left to change."""
    now = now or timezone.now()
    left_before = now - settings.PARLEY_LIVE_LEAVE_GRACE
    idle_deadline = ExpressionWrapper(Value(now) - F("inbox__session_timeout"), output_field=DateTimeField())
    due = Q(customer_left_at__lt=left_before) | Q(last_activity_at__lt=idle_deadline)
    with transaction.atomic():
        locked_ids = list(
            Conversation.objects.select_for_update(skip_locked=True)
            .filter(pk__in=_due_conversation_ids(now, left_before, batch_size))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not locked_ids:
            return 0
        # Re-read under the locks: a customer who came back or wrote meanwhile is no longer due.
        sessions = list(
            LiveSession.objects.select_for_update(of=("self",))
            .select_related("conversation")
            .filter(due, closed_at__isnull=True, conversation_id__in=locked_ids)
        )
        reasons = {
            session.pk: Reason.CUSTOMER_LEFT
            if session.customer_left_at is not None and session.customer_left_at < left_before
            else Reason.INACTIVITY
            for session in sessions
        }
        chats = [session for session in sessions if session.kind == Kind.LIVE]
        _end_sessions(chats, {session.pk: reasons[session.pk] for session in chats}, now=now, actor=None)
        _close_stretches(
            {session.pk: reasons[session.pk] for session in sessions if session.kind == Kind.MESSAGING}
        )
        return len(sessions)


def _due_conversation_ids(now: datetime, left_before: datetime, batch_size: int) -> list[int]:
    """Up to `batch_size` conversations whose open session looks due, each condition read from its
    own partial index: customers gone since before `left_before` (live_session_open_left), and
    for each session timeout the inboxes use, sessions idle longer than it (live_session_open_idle).
    Or-ing the two, with the timeout joined in, would scan every open session on every batch."""
    open_sessions = LiveSession.objects.filter(closed_at__isnull=True).order_by()
    due = set(
        open_sessions.filter(customer_left_at__lt=left_before).values_list("conversation_id", flat=True)[
            :batch_size
        ]
    )
    for timeout in Inbox.objects.order_by().values_list("session_timeout", flat=True).distinct():
        idle = open_sessions.filter(last_activity_at__lt=now - timeout, inbox__session_timeout=timeout)
        due.update(idle.values_list("conversation_id", flat=True)[:batch_size])
    return sorted(due)[:batch_size]


def _close_stretches(reasons: dict[int, str]) -> None:
    """Close messaging stretches (their conversations locked by the caller) when they really
    ended: when the customer left, or at the last message. One statement; nothing else changes."""
    if not reasons:
        return
    left = [pk for pk, reason in reasons.items() if reason == Reason.CUSTOMER_LEFT]
    LiveSession.objects.filter(pk__in=reasons).update(
        closed_at=Case(When(pk__in=left, then=F("customer_left_at")), default=F("last_activity_at")),
        close_reason=Case(
            When(pk__in=left, then=Value(Reason.CUSTOMER_LEFT)), default=Value(Reason.INACTIVITY)
        ),
        customer_left_at=None,
    )


def _end_sessions(
    sessions: list[LiveSession],
    reasons: dict[int, str],
    *,
    now: datetime,
    actor: AbstractBaseUser | None,
) -> None:
    """Close `sessions` (their conversations locked by the caller) and resolve and unassign their
    conversations, each with an activity line, in a fixed number of statements; announce it all
    after commit."""
    if not sessions:
        return
    by_reason = defaultdict(list)
    for session in sessions:
        by_reason[reasons[session.pk]].append(session.pk)
    LiveSession.objects.filter(pk__in=reasons).update(
        closed_at=now,
        customer_left_at=None,
        close_reason=Case(*(When(pk__in=ids, then=Value(reason)) for reason, ids in by_reason.items())),
    )
    before = {session.conversation_id: session.conversation for session in sessions}
    actor_label = actor_name(actor)
    ended = append_in_bulk(
        {
            session.conversation_id: activity_line(
                ACTIVITY_LINES[reasons[session.pk]].format(actor=actor_label)
            )
            for session in sessions
        },
        at=now,
        status=Conversation.Status.RESOLVED,
        resolved_at=now,
        waiting_since=None,
        snoozed_until=None,
        assignee=None,
    )
    for session in sessions:
        conversation, _ = ended[session.conversation_id]
        previous = before[session.conversation_id]
        events.publish_on_commit(
            events.conversation_event(
                events.SESSION_ENDED, conversation, session_id=session.pk, close_reason=reasons[session.pk]
            ),
            groups=events.conversation_groups(conversation),
        )
        if previous.status != conversation.status:
            publish_status_changed(conversation, previous.status)
        if previous.assignee_id is not None:
            publish_assigned(conversation, None, None)
    for agent_id in {session.agent_id for session in sessions if session.agent_id is not None}:
        registry.routing_due(agent_id=agent_id)  # a live slot is free
    waiting_inboxes = {session.conversation.inbox_id for session in sessions if session.agent_id is None}
    for inbox_id in waiting_inboxes:
        _queue_moved(inbox_id)


# --- the queue ---


def _queue_moved(inbox_id: int) -> None:
    """The inbox's queue moved in this transaction: its customers hear of it once, after commit,
    however many moves the transaction made."""
    on_commit_once(("queue", inbox_id), lambda: queue_announce(inbox_id))


def queue_announce(inbox_id: int) -> None:
    """The inbox's queue moved: its waiting customers hear their positions at once, unless they
    heard within the last PARLEY_QUEUE_ANNOUNCE_SECONDS; then once, at the end of that window,
    with the positions as they are by then (the announce_queue task). However fast the queue
    moves, each waiting customer gets at most about two updates a window, and the last is right."""
    window = settings.PARLEY_QUEUE_ANNOUNCE_SECONDS
    if window <= 0 or cache.add(f"parley:queue-announced:{inbox_id}", True, timeout=window):
        publish_queue(inbox_id)
        return
    if cache.add(f"parley:queue-announce-due:{inbox_id}", True, timeout=window * 10):
        from ..tasks import announce_queue  # tasks import services

        announce_queue.apply_async((inbox_id,), countdown=window)


def queue_announce_due(inbox_id: int) -> None:
    """The end of a window in which the queue moved after its customers last heard: tell them."""
    cache.delete(f"parley:queue-announce-due:{inbox_id}")
    publish_queue(inbox_id)


class _Waiting(NamedTuple):
    """A queued session's conversation, as much of it as its event needs (read as plain values:
    a queue of hundreds is announced without building a model instance per customer)."""

    session_id: int
    pk: int
    inbox_id: int
    contact_id: int
    last_seq: int
    assignee_id: int | None


def publish_queue(inbox_id: int) -> None:
    """Tell every customer waiting in this inbox's queue their position and estimated wait.

    Called after commit whenever the queue moves (a session opened, was taken, or ended while
    waiting): one query for the queue (an index range), one for the recent waits, one event per
    waiting customer.
    """
    queued = [
        _Waiting(*row)
        for row in _queue(inbox_id).values_list(
            "pk",
            "conversation_id",
            "inbox_id",
            "conversation__contact_id",
            "conversation__last_seq",
            "conversation__assignee_id",
        )[:QUEUE_PUBLISH_LIMIT]
    ]
    if not queued:
        return
    typical_wait = _typical_wait(inbox_id)
    for position, waiting in enumerate(queued, start=1):
        events.publisher.submit(
            events.conversation_groups(waiting),
            events.conversation_event(
                events.SESSION_QUEUED,
                waiting,
                session_id=waiting.session_id,
                queue_position=position,
                estimated_wait_seconds=_estimate(position, typical_wait),
            ),
        )


def session_states(conversations: list[Conversation]) -> dict[int, SessionState]:
    """The latest session of each of these conversations as their customer sees it (only live
    inboxes have any). Three queries whatever the number of conversations."""
    if not conversations:
        return {}
    newest = Subquery(
        LiveSession.objects.filter(conversation=OuterRef("pk"), kind=Kind.LIVE)
        .order_by("-opened_at", "-pk")
        .values("pk")[:1]
    )
    latest = {
        session.conversation_id: session
        for session in LiveSession.objects.filter(
            pk__in=Conversation.objects.filter(pk__in=[c.pk for c in conversations])
            .annotate(newest=newest)
            .values("newest")
        )
    }
    queued_inboxes = {
        conversation.inbox_id
        for conversation in conversations
        if (session := latest.get(conversation.pk)) is not None
        and session.closed_at is None
        and session.agent_id is None
    }
    positions: dict[int, int] = {}
    waits: dict[int, timedelta | None] = {}
    for inbox_id in queued_inboxes:
        queue_ids = list(_queue(inbox_id).values_list("pk", flat=True)[:QUEUE_PUBLISH_LIMIT])
        positions.update({session_id: index for index, session_id in enumerate(queue_ids, start=1)})
        waits[inbox_id] = _typical_wait(inbox_id)
    states = {}
    for conversation in conversations:
        session = latest.get(conversation.pk)
        if session is None:
            continue
        if session.closed_at is not None:
            states[conversation.pk] = SessionState(session.pk, "ended", close_reason=session.close_reason)
        elif session.agent_id is not None:
            states[conversation.pk] = SessionState(session.pk, "active")
        else:
            position = positions.get(session.pk)
            states[conversation.pk] = SessionState(
                session.pk,
                "queued",
                queue_position=position,
                estimated_wait_seconds=_estimate(position, waits.get(conversation.inbox_id)),
            )
    return states


def _queue(inbox_id: int):
    return LiveSession.objects.filter(
        inbox_id=inbox_id, closed_at__isnull=True, agent__isnull=True, kind=Kind.LIVE
    ).order_by("opened_at", "pk")


def _typical_wait(inbox_id: int) -> timedelta | None:
    """The mean queue wait of the inbox's recent sessions that an agent took, or None."""
    recent = list(
        LiveSession.objects.filter(inbox_id=inbox_id, assigned_at__isnull=False, kind=Kind.LIVE)
        .order_by("-assigned_at")
        .values_list("opened_at", "assigned_at")[:WAIT_SAMPLE_SIZE]
    )
    if not recent:
        return None
    return sum((taken - opened for opened, taken in recent), timedelta()) / len(recent)


def _estimate(position: int | None, typical_wait: timedelta | None) -> int | None:
    if position is None or typical_wait is None:
        return None
    return max(int(typical_wait.total_seconds() * position), 0)
