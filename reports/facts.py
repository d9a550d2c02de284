"""The durable subscriber that keeps the fact log: each event becomes at most one fact, written
inside the transaction of the change it records, all of a batch in one INSERT. On Postgres the
batch travels as one JSON parameter (jsonb_to_recordset): no model is built and no value is
quoted one by one (that was a quarter of an expiry batch's CPU, and runs on every message).

Kept: conversation created, status, assignment, hand-off, labels and priority; the customer's, a
person's public and the bot's messages; live sessions ended; agent presence. Not kept: private
notes, automatic messages and activity lines (never a response), reads, typing, delivery states.
"""

import json
from collections.abc import Iterator, Sequence
from functools import cache

from django.db import connection
from django.utils import timezone

from conversations import events
from conversations.event_catalogue import EventType

from .models import Fact

Kind = Fact.Kind

COUNTED_SENDERS = frozenset({"contact", "agent", "bot"})


def record_facts(batch: Sequence[events.Event]) -> None:
    facts = [fact for event in batch for fact in _facts_of(event)]
    if not facts:
        return
    now = timezone.now()
    if connection.vendor != "postgresql":  # the embedded SQLite of `make run`
        Fact.objects.bulk_create([Fact(at=now, **fact) for fact in facts])
        return
    with connection.cursor() as cursor:
        cursor.execute(_insert_statement(), [now, json.dumps(facts)])


@cache
def _insert_statement() -> str:
    return f"""INSERT INTO {connection.ops.quote_name(Fact._meta.db_table)}
            (at, kind, conversation_id, inbox_id, agent_id, team_id, data)
        SELECT %s, kind, conversation_id, inbox_id, agent_id, team_id, COALESCE(data, '{{}}')
        FROM jsonb_to_recordset(%s::jsonb) AS fact(
            kind text, conversation_id bigint, inbox_id bigint, agent_id bigint, team_id bigint, data jsonb
        )
    """  # noqa: S608 (the table's name from the model; every value is a parameter)


def _facts_of(event: events.Event) -> Iterator[dict]:
    """The fact `event` makes, if any: Fact's fields but its time, as JSON-ready values."""
    kind = event.get("type")
    about = {"conversation_id": event.get("conversation_id"), "inbox_id": event.get("inbox_id")}
    if kind == EventType.MESSAGE_CREATED:
        sender = event["sender_kind"]
        if sender in COUNTED_SENDERS and not event["is_private"]:
            author = event["message"]["sender"].get("agent_id")
            yield dict(kind=Kind.MESSAGE, agent_id=author, data={"sender": sender}, **about)
    elif kind == EventType.CONVERSATION_CREATED:
        yield dict(kind=Kind.CREATED, **about)
    elif kind == EventType.CONVERSATION_STATUS_CHANGED:
        yield dict(
            kind=Kind.STATUS, data={"status": event["status"], "previous": event["previous_status"]}, **about
        )
    elif kind == EventType.CONVERSATION_ASSIGNED:
        yield dict(kind=Kind.ASSIGNED, agent_id=event["assignee_id"], team_id=event["team_id"], **about)
    elif kind == EventType.CONVERSATION_HANDED_OFF:
        yield dict(kind=Kind.HANDED_OFF, data={"reason": event["reason"]}, **about)
    elif kind == EventType.CONVERSATION_UPDATED and "label_ids" in event:
        yield dict(
            kind=Kind.UPDATED, data={"priority": event["priority"], "labels": event["label_ids"]}, **about
        )
    elif kind == EventType.SESSION_ENDED:
        yield dict(
            kind=Kind.SESSION_ENDED,
            data={"session": event["session_id"], "reason": event["close_reason"]},
            **about,
        )
    elif kind == EventType.AGENT_PRESENCE:
        yield dict(
            kind=Kind.PRESENCE,
            agent_id=event["agent_id"],
            data={"availability": event["availability"]},
        )
