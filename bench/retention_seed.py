"""The retention benchmark's data (bench/retention.py): resolved conversations of one messaging
inbox, each with its contact and two messages (the customer's question, an agent's answer), COPYed
in bulk as the expiry benchmark seeds its sessions (bench/seed_helper.py).

Two kinds, spread at random over the ids: due (resolved and last active 31 to 400 days before the
seed's clock, past a 30-day policy) and kept (resolved 1 to 29 days before it), the boundary the
sweep must not cross. outcome() reads back what a drain did to each kind.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg

from bench.seed_helper import copy_rows, reserve_ids
from conversations.models import Contact, Conversation, Message

DUE, KEPT = "due", "kept"
OUTCOME_SQL = """
SELECT count(*),
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM privacy_anonymisedconversation a WHERE a.conversation_id = c.id)),
       count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM conversations_message m WHERE m.conversation_id = c.id AND m.body <> '')),
       count(*) FILTER (WHERE k.name = '' AND k.email = ''),
       (SELECT count(*) FROM conversations_message m WHERE m.conversation_id = ANY(%(ids)s))
FROM conversations_conversation c JOIN conversations_contact k ON k.id = c.contact_id
WHERE c.id = ANY(%(ids)s)
"""
POLICY_DAYS = 30
BODY = "Hi, I am Mirela Vantongeren, my order QX-{pk} never arrived at 12 Rue des Lilas"
REPLY = "Sorry Mirela, I have sent a new parcel for QX-{pk}."


@dataclass
class Seeded:
    conversations: int = 0
    messages: int = 0
    ids: dict[str, list[int]] = field(default_factory=dict)  # conversation ids by kind
    seconds: dict[str, float] = field(default_factory=dict)


def seed(
    dsn: str, *, inbox_id: int, agent_id: int, counts: dict[str, int], now: datetime, seed: int
) -> Seeded:
    started = time.perf_counter()
    rng = random.Random(seed)
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    rng.shuffle(kinds)
    resolved = [
        now
        - timedelta(
            days=rng.uniform(POLICY_DAYS + 1, 400) if kind == DUE else rng.uniform(1, POLICY_DAYS - 1)
        )
        for kind in kinds
    ]
    seeded = Seeded(conversations=len(kinds))
    with psycopg.connect(dsn) as db:
        db.execute("SET synchronous_commit = off")  # a throwaway database
        contact_ids = reserve_ids(db, Contact, len(kinds))
        conversation_ids = reserve_ids(db, Conversation, len(kinds))
        copy_rows(
            db,
            Contact,
            (
                {"id": pk, "name": f"Mirela Vantongeren {pk}", "email": f"mirela{pk}@example.com"}
                for pk in contact_ids
            ),
        )
        copy_rows(
            db,
            Conversation,
            (
                {
                    "id": pk,
                    "inbox_id": inbox_id,
                    "contact_id": contact_id,
                    "status": Conversation.Status.RESOLVED,
                    "assignee_id": agent_id,
                    "last_seq": 2,
                    "last_activity_at": at,
                    "resolved_at": at,
                    "first_reply_at": at,
                    "contact_last_read_seq": 2,
                    "created_at": at - timedelta(minutes=20),
                }
                for pk, contact_id, at in zip(conversation_ids, contact_ids, resolved, strict=True)
            ),
        )
        seeded.messages = copy_rows(
            db,
            Message,
            (
                message
                for pk, at in zip(conversation_ids, resolved, strict=True)
                for message in _messages(pk, inbox_id, agent_id, at)
            ),
            with_pk=False,
        )
        db.commit()
        db.autocommit = True
        db.execute("ANALYZE")
    for pk, kind in zip(conversation_ids, kinds, strict=True):
        seeded.ids.setdefault(kind, []).append(pk)
    seeded.seconds["total"] = round(time.perf_counter() - started, 2)
    return seeded


def _messages(conversation_id: int, inbox_id: int, agent_id: int, resolved_at: datetime) -> list[dict]:
    common = {"conversation_id": conversation_id, "inbox_id": inbox_id, "client_message_id": None}
    return [
        {
            **common,
            "seq": 1,
            "sender_kind": Message.SenderKind.CONTACT,
            "body": BODY.format(pk=conversation_id),
            "delivery_status": Message.DeliveryStatus.DELIVERED,
            "provider_message_id": None,
            "created_at": resolved_at - timedelta(minutes=20),
        },
        {
            **common,
            "seq": 2,
            "sender_kind": Message.SenderKind.AGENT,
            "sender_agent_id": agent_id,
            "body": REPLY.format(pk=conversation_id),
            "provider_message_id": None,
            "created_at": resolved_at - timedelta(minutes=10),
        },
    ]


def outcome(dsn: str, ids: dict[str, list[int]]) -> dict[str, dict[str, int]]:
    """Per kind: conversations seeded, marked anonymised, whose messages are all blank, whose
    contact is blank, and messages still there (rows, for the reports)."""
    figures = {}
    with psycopg.connect(dsn, autocommit=True) as db:
        for kind, pks in ids.items():
            figures[kind] = dict(
                zip(
                    ("conversations", "anonymised", "blank", "contact_blank", "messages"),
                    db.execute(
                        OUTCOME_SQL,
                        {"ids": pks},
                    ).fetchone(),
                    strict=True,
                )
            )
    return figures
