"""The durable subscriber that keeps the fact log: each event becomes at most one fact, written
inside the transaction of the change it records, all of a batch in one INSERT.

Kept: conversation created, status, assignment, hand-off, labels and priority; the customer's, a
person's public and the bot's messages; live sessions ended; agent presence. Not kept: private
notes, automatic messages and activity lines (never a response), reads, typing, delivery states.
"""

from collections.abc import Iterator, Sequence

from django.utils import timezone

from conversations import events
from conversations.event_catalogue import EventType

from .models import Fact

Kind = Fact.Kind

COUNTED_SENDERS = frozenset({"contact", "agent", "bot"})


def record_facts(batch: Sequence[events.Event]) -> None:
    now = timezone.now()
    facts = [fact for event in batch for fact in _facts_of(event, now)]
    if facts:
        Fact.objects.bulk_create(facts)


def _facts_of(event: events.Event, now) -> Iterator[Fact]:
    kind = event.get("type")
    about = {"at": now, "conversation_id": event.get("conversation_id"), "inbox_id": event.get("inbox_id")}
    if kind == EventType.MESSAGE_CREATED:
        sender = event["sender_kind"]
        if sender in COUNTED_SENDERS and not event["is_private"]:
            author = event["message"]["sender"].get("agent_id")
            yield Fact(kind=Kind.MESSAGE, agent_id=author, data={"sender": sender}, **about)
    elif kind == EventType.CONVERSATION_CREATED:
        yield Fact(kind=Kind.CREATED, **about)
    elif kind == EventType.CONVERSATION_STATUS_CHANGED:
        yield Fact(
            kind=Kind.STATUS, data={"status": event["status"], "previous": event["previous_status"]}, **about
        )
    elif kind == EventType.CONVERSATION_ASSIGNED:
        yield Fact(kind=Kind.ASSIGNED, agent_id=event["assignee_id"], team_id=event["team_id"], **about)
    elif kind == EventType.CONVERSATION_HANDED_OFF:
        yield Fact(kind=Kind.HANDED_OFF, data={"reason": event["reason"]}, **about)
    elif kind == EventType.CONVERSATION_UPDATED and "label_ids" in event:
        yield Fact(
            kind=Kind.UPDATED, data={"priority": event["priority"], "labels": event["label_ids"]}, **about
        )
    elif kind == EventType.SESSION_ENDED:
        yield Fact(
            kind=Kind.SESSION_ENDED,
            data={"session": event["session_id"], "reason": event["close_reason"]},
            **about,
        )
    elif kind == EventType.AGENT_PRESENCE:
        yield Fact(
            kind=Kind.PRESENCE,
            at=now,
            agent_id=event["agent_id"],
            data={"availability": event["availability"]},
        )
