"""Reads that pages, endpoints and consumers need, with their joins done.

`related` lets a caller add joins it renders (say, the sender's profile) without the core
naming other apps' models.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import OuterRef, QuerySet, Subquery

from . import registry
from .models import Conversation, LiveSession, Message, MessageTemplate

HISTORY_PAGE_SIZE = 50
QUEUE_PUBLISH_LIMIT = 500  # positions beyond this many waiting customers are published as they move up
WAIT_SAMPLE_SIZE = 20


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]  # oldest first
    has_more: bool  # more in the direction of paging (older for `before`, newer for `after`)


def message_page(
    *,
    conversation_id: int,
    include_private: bool,
    after_seq: int | None = None,
    before_seq: int | None = None,
    limit: int = HISTORY_PAGE_SIZE,
    related: Sequence[str] = (),
) -> MessagePage:
    """The one history read (desk, widget, REST API, API channel): a page of the conversation's
    messages, oldest first, keyset on seq. After `after_seq` (a client that saw a gap or
    reconnected), else before `before_seq` (scrolling back), else the newest page. Private notes
    and activity lines only with `include_private`. Two queries: the messages with their senders
    (plus `related`, joins a caller renders), then their attachments."""
    messages = Message.objects.filter(conversation_id=conversation_id)
    if not include_private:
        messages = messages.filter(is_private=False)
    messages = messages.select_related("sender_agent", *related).prefetch_related("attachments")
    if after_seq is not None:
        page = list(messages.filter(seq__gt=after_seq).order_by("seq")[: limit + 1])
        return MessagePage(messages=page[:limit], has_more=len(page) > limit)
    if before_seq is not None:
        messages = messages.filter(seq__lt=before_seq)
    page = list(messages.order_by("-seq")[: limit + 1])
    return MessagePage(messages=list(reversed(page[:limit])), has_more=len(page) > limit)


def message_for_clients(*, message_id: int, related: Sequence[str] = ()) -> Message | None:
    return (
        Message.objects.select_related("sender_agent", "conversation", *related)
        .prefetch_related("attachments")
        .filter(pk=message_id)
        .first()
    )


def merge_targets(conversation: Conversation, limit: int = 10) -> list[Conversation]:
    """The customer's other conversations on this inbox that this one may be merged into."""
    return list(
        Conversation.objects.filter(
            contact_id=conversation.contact_id, inbox_id=conversation.inbox_id, merged_into__isnull=True
        )
        .exclude(pk=conversation.pk)
        .order_by("-last_activity_at", "-pk")[:limit]
    )


def conversations_of_contact(*, contact_id: int, inbox_id: int) -> QuerySet[Conversation]:
    """A customer's conversations on one inbox, newest activity first."""
    return (
        Conversation.objects.filter(contact_id=contact_id, inbox_id=inbox_id, merged_into__isnull=True)
        .select_related("assignee")
        .order_by("-last_activity_at", "-pk")
    )


def message_sent_by_contact(*, inbox_id: int, contact_id: int, client_message_id: str) -> Message | None:
    """The message this contact already sent on this inbox under `client_message_id`, if any: a
    resent upload is answered from here before its file is stored again (one indexed lookup)."""
    return (
        Message.objects.prefetch_related("attachments")
        .filter(inbox_id=inbox_id, client_message_id=client_message_id, conversation__contact_id=contact_id)
        .first()
    )


def approved_templates(inbox_id: int) -> list[MessageTemplate]:
    """The templates of an inbox the provider approved, by name: what an agent may pick."""
    return list(MessageTemplate.objects.filter(inbox_id=inbox_id, status__iexact="APPROVED"))


# --- live sessions as their customers see them: the queue and its waits ---


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


def session_states(conversations: list[Conversation]) -> dict[int, SessionState]:
    """The latest session of each of these conversations as their customer sees it (only live
    inboxes have any). Three queries whatever the number of conversations."""
    if not conversations:
        return {}
    newest = Subquery(
        LiveSession.objects.filter(conversation=OuterRef("pk"), kind=LiveSession.Kind.LIVE)
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
        queue_ids = list(live_queue(inbox_id).values_list("pk", flat=True)[:QUEUE_PUBLISH_LIMIT])
        positions.update({session_id: index for index, session_id in enumerate(queue_ids, start=1)})
        waits[inbox_id] = typical_queue_wait(inbox_id)
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
                estimated_wait_seconds=estimated_wait_seconds(position, waits.get(conversation.inbox_id)),
            )
    return states


def live_queue(inbox_id: int) -> QuerySet[LiveSession]:
    """The inbox's open live sessions no agent has taken, first come first."""
    return LiveSession.objects.filter(
        inbox_id=inbox_id, closed_at__isnull=True, agent__isnull=True, kind=LiveSession.Kind.LIVE
    ).order_by("opened_at", "pk")


def typical_queue_wait(inbox_id: int) -> timedelta | None:
    """The mean queue wait of the inbox's recent sessions that an agent took; None without them,
    or with nobody online to take the next chat (a wait nobody would keep is not promised)."""
    if not registry.inbox_has_someone_online(inbox_id):
        return None
    recent = list(
        LiveSession.objects.filter(inbox_id=inbox_id, assigned_at__isnull=False, kind=LiveSession.Kind.LIVE)
        .order_by("-assigned_at")
        .values_list("opened_at", "assigned_at")[:WAIT_SAMPLE_SIZE]
    )
    if not recent:
        return None
    return sum((taken - opened for opened, taken in recent), timedelta()) / len(recent)


def estimated_wait_seconds(position: int | None, typical_wait: timedelta | None) -> int | None:
    if position is None or typical_wait is None:
        return None
    return max(int(typical_wait.total_seconds() * position), 0)
