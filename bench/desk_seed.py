"""The desk benchmark's data: 100,000 conversations and 1,000,000 messages in bulk, in a few
seconds of SQL rather than the hours message_receive would take one by one.

Rows match what the services write (conversations.services): seq is gap-free per conversation and
last_seq is the newest seq; a customer's message opens the conversation and sets waiting_since, a
reply clears it; resolving appends a private system line ("... resolved the conversation") and
clears waiting_since. Conversations are planned in Python (status, assignee among the inbox's
members, priority, message count, times) and COPYed; messages are generated from that plan by one
INSERT ... SELECT over generate_series(1, last_seq), so seq and last_seq agree by construction.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from django.contrib.auth.base_user import AbstractBaseUser
from django.test.utils import override_settings
from django.utils import timezone

from agents.services import agent_create
from bench.scale import scaled
from bench.seed_helper import copy_rows, insert_select, reserve_ids
from conversations.models import (
    ChannelType,
    Contact,
    ContactIdentity,
    Conversation,
    Inbox,
    Message,
    ReadMarker,
)

SEED = 20261124
INBOXES = [  # (name, channel type, share of conversations)
    ("Website chat", ChannelType.WEB_WIDGET, 0.35),
    ("WhatsApp", ChannelType.WHATSAPP, 0.25),
    ("SMS", ChannelType.SMS, 0.15),
    ("Messenger", ChannelType.MESSENGER, 0.15),
    ("API", ChannelType.API, 0.10),
]
AGENTS = scaled(20, 6)
LEADS = 5  # agents 0-4 work every inbox; the others two inboxes each
STATUSES = [("open", 0.20), ("pending", 0.08), ("snoozed", 0.04), ("resolved", 0.68)]
WAITING_SHARE_OF_OPEN = 0.5  # open conversations whose newest message is the customer's
ASSIGNED_SHARE = 0.30
PRIORITIES = [(0, 0.70), (1, 0.10), (2, 0.10), (3, 0.07), (4, 0.03)]
LONG_CONVERSATIONS = scaled(  # two per inbox
    [500, 600, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000],
    [40, 45, 50, 55, 60, 65, 70, 75, 80, 90],
)
CONTACTS_PER_CONVERSATION = 0.8  # some customers have come back with a second conversation
LOREM = (
    "Hi there, I ordered the blue jacket last week and the tracking number still says the parcel "
    "is waiting at the depot. Could you check what is going on and whether it will arrive before "
    "Friday? Thanks for getting back to me so quickly, that makes sense. I also wanted to ask about "
    "returns: if the size is wrong can I send it back free of charge, and how long does a refund "
    "usually take to show up on my card? Our team has looked into it and the carrier confirms a "
    "delay at the sorting centre; the parcel is now on its way and should reach you tomorrow. "
    "Returns are free within thirty days and refunds take three to five working days. Let us know "
    "if there is anything else we can do for you. Order 48213, invoice attached as requested."
)


@dataclass
class Seeded:
    inboxes: list[Inbox]
    agents: list[AbstractBaseUser]
    members: dict[int, list[int]]  # inbox id -> agent ids
    conversations: int = 0
    messages: int = 0
    contacts: int = 0
    read_markers: int = 0
    contact_ids: list[int] = field(default_factory=list)
    long_conversation_ids: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def seed(dsn: str, *, conversations: int, messages: int) -> Seeded:
    """Everything the desk shows, bulk-inserted; ANALYZEd at the end. Timings per step in .seconds."""
    started = time.perf_counter()
    seeded = _people()
    seeded.seconds["inboxes_and_agents"] = round(time.perf_counter() - started, 2)
    rng = random.Random(SEED)
    plan = _plan(rng, seeded, conversations, messages)
    with psycopg.connect(dsn) as db:
        db.execute("SET synchronous_commit = off")  # a throwaway database: no need to wait on fsync
        steps = [
            ("contacts", lambda: _contacts(db, seeded, round(conversations * CONTACTS_PER_CONVERSATION))),
            ("conversations", lambda: _conversations(db, seeded, plan)),
            ("messages", lambda: _messages(db, seeded)),
            ("identities_and_read_markers", lambda: _identities_and_markers(db, seeded)),
        ]
        for name, step in steps:
            t0 = time.perf_counter()
            step()
            db.commit()
            seeded.seconds[name] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        db.autocommit = True
        db.execute("ANALYZE")
        seeded.seconds["analyze"] = round(time.perf_counter() - t0, 2)
    seeded.seconds["total"] = round(time.perf_counter() - started, 2)
    return seeded


def _people() -> Seeded:
    inboxes = [Inbox.objects.create(name=name, channel_type=kind) for name, kind, _ in INBOXES]
    agents, members = [], {inbox.pk: [] for inbox in inboxes}
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for n in range(AGENTS):
            works = inboxes if n < LEADS else [inboxes[n % 5], inboxes[(n + 1) % 5]]
            agent = agent_create(
                username=f"desk-agent-{n}",
                email=f"desk-agent-{n}@example.com",
                password=f"desk-agent-{n}-password",
                display_name=f"Agent {n}",
                inboxes=works,
            )
            agents.append(agent)
            for inbox in works:
                members[inbox.pk].append(agent.pk)
    return Seeded(inboxes=inboxes, agents=agents, members=members)


def _pick(rng: random.Random, weighted: list[tuple]) -> object:
    return rng.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


def _message_counts(rng: random.Random, statuses: list[str], total: int) -> list[int]:
    """Long-tailed counts (most conversations a handful of messages) summing exactly to `total`;
    the first len(LONG_CONVERSATIONS) are the long ones. A resolved or answered conversation
    has at least two messages (the customer's and the reply or the resolve line)."""
    short = len(statuses) - len(LONG_CONVERSATIONS)
    mean = (total - sum(LONG_CONVERSATIONS)) / short
    floors = [1 if status == "waiting" else 2 for status in statuses]
    counts = list(LONG_CONVERSATIONS) + [
        max(floors[i], min(300, round(rng.expovariate(1 / (mean - 1))) + 1))
        for i in range(len(LONG_CONVERSATIONS), len(statuses))
    ]
    if total < sum(LONG_CONVERSATIONS) + sum(floors[len(LONG_CONVERSATIONS) :]):
        raise ValueError(f"{total} messages are too few for {len(statuses)} conversations")
    difference = total - sum(counts)
    while difference:
        i = rng.randrange(len(LONG_CONVERSATIONS), len(counts))
        step = 1 if difference > 0 else -1
        if counts[i] + step >= floors[i]:
            counts[i] += step
            difference -= step
    return counts


def _plan(rng: random.Random, seeded: Seeded, conversations: int, messages: int) -> list[dict]:
    """One dict per conversation: the columns of its row, and how its messages are spaced."""
    now = datetime.now(UTC)
    inboxes = seeded.inboxes
    inbox_weights = [(inbox, share) for inbox, (*_, share) in zip(inboxes, INBOXES, strict=True)]
    statuses = []
    for _ in range(conversations):
        status = _pick(rng, STATUSES)
        statuses.append("waiting" if status == "open" and rng.random() < WAITING_SHARE_OF_OPEN else status)
    for n in range(len(LONG_CONVERSATIONS)):  # long threads are mostly live ones
        statuses[n] = "waiting" if n % 3 == 0 else "open" if n % 3 == 1 else "resolved"
    counts = _message_counts(rng, statuses, messages)
    plan = []
    for n, (state, count) in enumerate(zip(statuses, counts, strict=True)):
        long = n < len(LONG_CONVERSATIONS)
        inbox = inboxes[n % len(inboxes)] if long else _pick(rng, inbox_weights)
        members = seeded.members[inbox.pk]
        assignee = rng.choice(members) if long or rng.random() < ASSIGNED_SHARE else None
        age_days = {"waiting": 7, "open": 7, "pending": 30, "snoozed": 30}.get(state, 365)
        last_activity = now - timedelta(seconds=rng.uniform(60, age_days * 86400))
        gap = timedelta(minutes=20 if long else rng.uniform(0.5, 10))
        first = last_activity - gap * (count - 1)
        status = "open" if state == "waiting" else state
        plan.append(
            {
                "inbox_id": inbox.pk,
                "status": status,
                "assignee_id": assignee,
                "priority": 4 if n < 2 else _pick(rng, PRIORITIES),
                "snoozed_until": now + timedelta(hours=rng.uniform(1, 72)) if status == "snoozed" else None,
                "last_seq": count,
                "last_activity_at": last_activity,
                "waiting_since": (first if count <= 2 else last_activity) if state == "waiting" else None,
                "contact_last_read_seq": count if state != "waiting" else count - 1,
                "first_reply_at": None if count == 1 else first + gap,
                "resolved_at": last_activity if status == "resolved" else None,
                "created_at": first,
                # not columns: who replies (the assignee, else one of the inbox's members) and spacing
                "replier_id": assignee or members[n % len(members)],
                "gap_seconds": gap.total_seconds(),
            }
        )
    return plan


def _contacts(db: psycopg.Connection, seeded: Seeded, count: int) -> None:
    ids = reserve_ids(db, Contact, count)
    now = timezone.now()
    seeded.contacts = copy_rows(
        db,
        Contact,
        (
            {
                "id": contact_id,
                "name": f"Customer {n}",
                "email": f"customer{n}@example.com" if n % 10 < 6 else "",
                "phone": f"+1415{n % 10_000_000:07d}" if n % 10 >= 4 else "",
                "last_seen_at": now - timedelta(hours=n % 500),
                "created_at": now - timedelta(days=400),
            }
            for n, contact_id in enumerate(ids, start=1)
        ),
    )
    seeded.contact_ids = ids


CLOSING_LINES = {  # what record_activity wrote last, as the services word it
    "resolved": "resolved the conversation",
    "pending": "marked the conversation pending",
    "snoozed": "snoozed the conversation",
}
PLAN_ONLY = ("replier_id", "gap_seconds")  # planned with a conversation, not columns of it


def _conversations(db: psycopg.Connection, seeded: Seeded, plan: list[dict]) -> None:
    """Ids reserved from the table's own sequence (so rows other benchmarks wrote stay apart),
    then the rows (the model's defaults for what the plan leaves out) and the plan's extra columns
    COPYed."""
    ids = reserve_ids(db, Conversation, len(plan))
    contacts = seeded.contact_ids
    rows = (
        {
            **{column: value for column, value in row.items() if column not in PLAN_ONLY},
            "id": conversation_id,
            "contact_id": contacts[(n * 7919) % len(contacts)],
        }
        for n, (conversation_id, row) in enumerate(zip(ids, plan, strict=True))
    )
    seeded.conversations = copy_rows(db, Conversation, rows)
    db.execute(
        "CREATE TEMP TABLE desk_seed_plan (conversation_id bigint PRIMARY KEY, replier_id bigint, "
        "gap_seconds float8, waiting boolean, closing text)"
    )
    with db.cursor() as cursor, cursor.copy("COPY desk_seed_plan FROM STDIN") as copy:
        for conversation_id, row in zip(ids, plan, strict=True):
            closing = CLOSING_LINES.get(row["status"])
            waiting = row["waiting_since"] is not None
            copy.write_row([conversation_id, row["replier_id"], row["gap_seconds"], waiting, closing])
    seeded.long_conversation_ids = ids[: len(LONG_CONVERSATIONS)]


MESSAGE_COLUMNS = {  # column -> SQL over k, one row per (conversation, seq): see _messages
    "conversation_id": "k.conversation_id",
    "inbox_id": "k.inbox_id",
    "seq": "k.seq",
    "sender_kind": "k.kind",
    "sender_agent_id": "CASE WHEN k.kind = 'agent' THEN k.replier_id END",
    "is_private": "k.private",
    "content_type": "CASE WHEN k.kind = 'system' THEN 'system' ELSE 'text' END",
    "body": """CASE WHEN k.kind = 'system'
                    THEN 'Agent ' || mod(k.replier_id, 20) || ' '
                         || coalesce(k.line, 'assigned the conversation')
                    ELSE substr(%(lorem)s, 1 + mod(k.h, 400), 12 + mod(k.h * 31, 260)) END""",
    "delivery_status": """CASE WHEN k.kind <> 'agent' OR k.private THEN 'sent'
                    WHEN mod(k.h, 200) = 0 THEN 'failed' WHEN mod(k.h, 3) = 0 THEN 'read'
                    ELSE 'delivered' END""",
    "provider_error_code": """CASE WHEN k.kind = 'agent' AND NOT k.private AND mod(k.h, 200) = 0
                    THEN '63016' ELSE '' END""",
    "provider_error": """CASE WHEN k.kind = 'agent' AND NOT k.private AND mod(k.h, 200) = 0
                    THEN 'The recipient is outside the allowed window.' ELSE '' END""",
    "created_at": "k.created_at",
}


def _messages(db: psycopg.Connection, seeded: Seeded) -> None:
    """Message s of a conversation with L messages: the customer opens (s = 1); the newest is the
    customer's while they wait, a private system line after resolve/pending/snooze, else a reply;
    in between a hash of (conversation, s) picks customer (50%), reply (40%), private note (5%) or
    private activity line (5%). A waiting customer's previous message is a reply, so waiting_since is the
    newest message's time."""
    seeded.messages = insert_select(
        db,
        Message,
        MESSAGE_COLUMNS,
        """
        FROM (
            SELECT c.id AS conversation_id, c.inbox_id, s.seq, p.replier_id, h.h,
                   c.last_activity_at - (c.last_seq - s.seq) * p.gap_seconds * interval '1 second'
                       AS created_at,
                   CASE WHEN s.seq = c.last_seq THEN p.closing END AS line,
                   CASE WHEN s.seq = 1 THEN 'contact'
                        WHEN s.seq = c.last_seq AND p.waiting THEN 'contact'
                        WHEN s.seq = c.last_seq AND p.closing IS NOT NULL THEN 'system'
                        WHEN s.seq = c.last_seq THEN 'agent'
                        WHEN s.seq = c.last_seq - 1 AND p.waiting THEN 'agent'
                        WHEN mod(h.h, 100) < 50 THEN 'contact'
                        WHEN mod(h.h, 100) < 95 THEN 'agent'
                        ELSE 'system' END AS kind,
                   CASE WHEN s.seq = 1 THEN false
                        WHEN s.seq = c.last_seq AND p.waiting THEN false
                        WHEN s.seq = c.last_seq AND p.closing IS NOT NULL THEN true
                        WHEN s.seq = c.last_seq THEN false
                        WHEN s.seq = c.last_seq - 1 AND p.waiting THEN false
                        ELSE mod(h.h, 100) >= 90 END AS private  -- notes (90-94) and system lines
            FROM conversations_conversation c
            JOIN desk_seed_plan p ON p.conversation_id = c.id
            CROSS JOIN LATERAL generate_series(1, c.last_seq::int) AS s(seq)
            CROSS JOIN LATERAL (SELECT mod(c.id * 2654435761 + s.seq * 40503, 1000003)::int AS h) h
        ) k
        """,
        {"lorem": LOREM},
    )


def _identities_and_markers(db: psycopg.Connection, seeded: Seeded) -> None:
    """One identity per (customer, inbox) they wrote on; read markers for the assignee of every
    assigned conversation (mostly read up to the end) and for one in fifteen of each member's others."""
    insert_select(
        db,
        ContactIdentity,
        {"contact_id": "c.contact_id", "inbox_id": "c.inbox_id", "source_id": "'desk-seed-' || c.contact_id"},
        "FROM (SELECT DISTINCT c.contact_id, c.inbox_id FROM conversations_conversation c "
        "JOIN desk_seed_plan p ON p.conversation_id = c.id) c",
    )
    seeded.read_markers = insert_select(
        db,
        ReadMarker,
        {
            "conversation_id": "m.conversation_id",
            "agent_id": "m.agent_id",
            "last_read_seq": "m.seq",
            "updated_at": "m.at",
        },
        """
        FROM (
            SELECT c.id AS conversation_id, c.assignee_id AS agent_id, c.last_activity_at AS at,
                   CASE WHEN mod(c.id, 10) < 7 THEN c.last_seq
                        ELSE greatest(0, c.last_seq - 1 - mod(c.id, 5)) END AS seq
            FROM conversations_conversation c JOIN desk_seed_plan p ON p.conversation_id = c.id
            WHERE c.assignee_id IS NOT NULL
            UNION ALL
            SELECT c.id, m.agent_id, c.last_activity_at, 1 + mod(c.id + m.agent_id, c.last_seq)
            FROM conversations_conversation c
            JOIN desk_seed_plan p ON p.conversation_id = c.id
            JOIN agents_inboxmembership m ON m.inbox_id = c.inbox_id
            WHERE mod(c.id * 31 + m.agent_id, 15) = 0 AND m.agent_id IS DISTINCT FROM c.assignee_id
        ) m
        """,
    )
    db.execute("DROP TABLE desk_seed_plan")
