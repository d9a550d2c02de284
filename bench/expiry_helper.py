"""The expiry benchmark's data: open live sessions in live inboxes, COPYed in bulk.

Rows match what the services write (conversations.services.sessions and .appending): the customer's first
message opens a session and appends "Live chat started" before it; an agent's take appends the
assignment line; seq is gap-free per conversation and last_seq is the newest. A queued session's
conversation is unassigned and its customer waits since the session opened; a taken one is
assigned (each agent up to their live capacity), answered, and the customer wrote last.

Sessions fall in three kinds, spread at random over the ids (so the due ones are not one range):
- due by leaving: the customer left more than PARLEY_LIVE_LEAVE_GRACE ago (5 s to 5 min past it),
  active within the inbox's timeout;
- due by idling: no activity for longer than the inbox's timeout (5 s to 50 min past it);
- not due: active within the last 6 minutes of a 10-minute timeout; one in ten of these customers
  left less than 30 s ago (inside the grace), the boundary the sweep must not cross.

outcome() reads back, per kind, what a drain did to the seeded sessions: the expiry benchmark's
checks are made of it.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg
from django.conf import settings

from bench.seed_helper import copy_rows, reserve_ids
from conversations.models import Contact, Conversation, LiveSession, Message
from conversations.services import ACTIVITY_LINES

LEFT, IDLE, NOT_DUE = "left", "idle", "not_due"
# The reason a sweep must give each kind when it ends one (a not-due session it must not end).
REASONS = {LEFT: LiveSession.CloseReason.CUSTOMER_LEFT, IDLE: LiveSession.CloseReason.INACTIVITY, NOT_DUE: ""}
LEFT_RECENTLY_SHARE = 0.10  # of the not-due: left, but inside the grace
QUEUED_LINE = "Live chat started: waiting in the queue for an agent"
BODY = "Hi, I have a question about my order, can someone help me with the delivery date?"
REPLY = "Hello! Of course, let me look that up for you."
OUTCOME_FIGURES = (
    "sessions",
    "closed",
    "closed_for_their_reason",
    "resolved_unassigned",
    "one_end_line",
    "several_end_lines",
)


@dataclass
class Seeded:
    sessions: int = 0
    due_left: int = 0
    due_idle: int = 0
    not_due: int = 0
    assigned: int = 0
    messages: int = 0
    session_ids: dict[str, list[int]] = field(default_factory=dict)  # by kind
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Plan:
    kind: str
    inbox_id: int
    agent_id: int | None
    agent_name: str
    opened: datetime
    last: datetime
    left: datetime | None


def seed(
    dsn: str,
    *,
    inboxes: list[tuple[int, timedelta]],
    agent_slots: list[tuple[int, str]],
    counts: dict[str, int],
    now: datetime,
    seed: int,
) -> Seeded:
    """Sessions of each kind in `counts`, in `inboxes` ((id, session timeout)); `agent_slots`
    ((agent id, display name), one per live slot) take that many of them, spread over the kinds."""
    started = time.perf_counter()
    rng = random.Random(seed)
    plans = _plan(rng, inboxes, agent_slots, counts, now)
    seeded = Seeded(
        sessions=len(plans),
        due_left=counts.get(LEFT, 0),
        due_idle=counts.get(IDLE, 0),
        not_due=counts.get(NOT_DUE, 0),
        assigned=sum(1 for plan in plans if plan.agent_id is not None),
    )
    with psycopg.connect(dsn) as db:
        db.execute("SET synchronous_commit = off")  # a throwaway database
        t0 = time.perf_counter()
        contact_ids = reserve_ids(db, Contact, len(plans))
        conversation_ids = reserve_ids(db, Conversation, len(plans))
        session_ids = reserve_ids(db, LiveSession, len(plans))
        copy_rows(
            db,
            Contact,
            (
                {"id": pk, "name": f"Live customer {pk}", "last_seen_at": plan.last}
                for pk, plan in zip(contact_ids, plans, strict=True)
            ),
        )
        copy_rows(db, Conversation, map(_conversation, conversation_ids, contact_ids, plans))
        copy_rows(db, LiveSession, map(_session, session_ids, conversation_ids, plans))
        seeded.seconds["contacts_conversations_sessions"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        seeded.messages = copy_rows(
            db,
            Message,
            (m for pk, plan in zip(conversation_ids, plans, strict=True) for m in _messages(pk, plan)),
            with_pk=False,
        )
        seeded.seconds["messages"] = round(time.perf_counter() - t0, 2)
        db.commit()
        for pk, plan in zip(session_ids, plans, strict=True):
            seeded.session_ids.setdefault(plan.kind, []).append(pk)
        t0 = time.perf_counter()
        db.autocommit = True
        db.execute("ANALYZE")
        seeded.seconds["analyze"] = round(time.perf_counter() - t0, 2)
    seeded.seconds["total"] = round(time.perf_counter() - started, 2)
    return seeded


def shift_open_sessions(dsn: str, by: timedelta) -> int:
    """Move every open session's clock forward by `by` (as if their customers had been active all
    along), so sessions seeded not due a while ago are still not due now."""
    with psycopg.connect(dsn, autocommit=True) as db:
        return db.execute(
            "UPDATE conversations_livesession SET last_activity_at = last_activity_at + %(by)s, "
            "customer_left_at = customer_left_at + %(by)s WHERE closed_at IS NULL",
            {"by": by},
        ).rowcount


def outcome(dsn: str, session_ids: dict[str, list[int]]) -> dict[str, dict[str, int]]:
    """Per kind (all three; zeros for one not given), what became of the sessions in `session_ids`
    (kind -> ids): how many there are, how many are closed, closed with their kind's reason
    (REASONS), closed with their conversation resolved and unassigned, and how many of their
    conversations carry one "Chat ended" line, or more than one."""
    ids = [pk for pks in session_ids.values() for pk in pks]
    kinds = [kind for kind, pks in session_ids.items() for _ in pks]
    figures = {kind: dict.fromkeys(OUTCOME_FIGURES, 0) for kind in REASONS}
    with psycopg.connect(dsn, autocommit=True) as db:
        rows = db.execute(
            """
            SELECT seeded.kind, count(*),
                   count(*) FILTER (WHERE s.closed_at IS NOT NULL),
                   count(*) FILTER (WHERE s.closed_at IS NOT NULL AND s.close_reason = seeded.reason),
                   count(*) FILTER (WHERE s.closed_at IS NOT NULL AND c.status = 'resolved'
                                    AND c.assignee_id IS NULL),
                   count(*) FILTER (WHERE ended.lines = 1),
                   count(*) FILTER (WHERE ended.lines > 1)
            FROM unnest(%(ids)s::bigint[], %(kinds)s::text[], %(reasons)s::text[]) AS seeded(id, kind, reason)
            JOIN conversations_livesession s ON s.id = seeded.id
            JOIN conversations_conversation c ON c.id = s.conversation_id
            CROSS JOIN LATERAL (
                SELECT count(*) AS lines FROM conversations_message m
                WHERE m.conversation_id = s.conversation_id AND m.sender_kind = 'system'
                      AND m.body = ANY(%(lines)s)
            ) AS ended
            GROUP BY seeded.kind
            """,
            {
                "ids": ids,
                "kinds": kinds,
                "reasons": [str(REASONS[kind]) for kind in kinds],
                "lines": [ACTIVITY_LINES[REASONS[LEFT]], ACTIVITY_LINES[REASONS[IDLE]]],
            },
        ).fetchall()
    for kind, *counts in rows:
        figures[kind] = dict(zip(OUTCOME_FIGURES, counts, strict=True))
    return figures


def _plan(
    rng: random.Random,
    inboxes: list[tuple[int, timedelta]],
    agent_slots: list[tuple[int, str]],
    counts: dict[str, int],
    now: datetime,
) -> list[Plan]:
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    rng.shuffle(kinds)
    taken = set(rng.sample(range(len(kinds)), min(len(agent_slots), len(kinds))))
    slots = iter(agent_slots)
    grace = settings.PARLEY_LIVE_LEAVE_GRACE
    plans = []
    for n, kind in enumerate(kinds):
        inbox_id, timeout = inboxes[n % len(inboxes)]
        left = None
        if kind == LEFT:
            left = now - grace - timedelta(seconds=rng.uniform(5, 300))
            last = left - timedelta(seconds=rng.uniform(0, 60))
        elif kind == IDLE:
            last = now - timeout - timedelta(seconds=rng.uniform(5, 3000))
        else:
            last = now - timedelta(seconds=rng.uniform(0, 360))
            if rng.random() < LEFT_RECENTLY_SHARE:
                left = now - timedelta(seconds=rng.uniform(0, 30))
                last = min(last, left)
        opened = last - timedelta(seconds=rng.uniform(60, 1200))
        agent_id, agent_name = next(slots) if n in taken else (None, "")
        plans.append(Plan(kind, inbox_id, agent_id, agent_name, opened, last, left))
    return plans


def _times(plan: Plan) -> tuple[datetime, datetime]:
    """When the agent took the session and when they replied, inside [opened, last]."""
    span = plan.last - plan.opened
    return plan.opened + span * 0.2, plan.opened + span * 0.4


def _conversation(pk: int, contact_id: int, plan: Plan) -> dict:
    taken = plan.agent_id is not None
    last_seq = 5 if taken else 3
    return {
        "id": pk,
        "inbox_id": plan.inbox_id,
        "contact_id": contact_id,
        "status": Conversation.Status.OPEN,
        "assignee_id": plan.agent_id,
        "last_seq": last_seq,
        "last_activity_at": plan.last,
        "waiting_since": plan.last if taken else plan.opened,
        "contact_last_read_seq": last_seq,
        "first_reply_at": _times(plan)[1] if taken else None,
        "sync_replies": int(taken),
        "created_at": plan.opened,
    }


def _session(pk: int, conversation_id: int, plan: Plan) -> dict:
    assigned_at, replied_at = _times(plan) if plan.agent_id is not None else (None, None)
    return {
        "id": pk,
        "conversation_id": conversation_id,
        "inbox_id": plan.inbox_id,
        "kind": "live",
        "agent_id": plan.agent_id,
        "opened_at": plan.opened,
        "assigned_at": assigned_at,
        "first_response_at": replied_at,
        "last_activity_at": plan.last,
        "customer_left_at": plan.left,
        "closed_at": None,
        "close_reason": "",
    }


def _messages(conversation_id: int, plan: Plan) -> list[dict]:
    def line(seq: int, at: datetime, kind: str, body: str, **extra) -> dict:
        private = kind == Message.SenderKind.SYSTEM
        return {
            "conversation_id": conversation_id,
            "inbox_id": plan.inbox_id,
            "seq": seq,
            "sender_kind": kind,
            "is_private": private,
            "content_type": Message.ContentType.SYSTEM if private else Message.ContentType.TEXT,
            "body": body,
            "client_message_id": None,
            "provider_message_id": None,
            "delivery_status": Message.DeliveryStatus.DELIVERED
            if kind == Message.SenderKind.CONTACT
            else Message.DeliveryStatus.SENT,
            "created_at": at,
            **extra,
        }

    thread = [
        line(1, plan.opened, Message.SenderKind.SYSTEM, QUEUED_LINE),
        line(2, plan.opened, Message.SenderKind.CONTACT, BODY),
    ]
    if plan.agent_id is not None:
        assigned_at, replied_at = _times(plan)
        thread += [
            line(
                3,
                assigned_at,
                Message.SenderKind.SYSTEM,
                f"Parley assigned the conversation to {plan.agent_name}",
            ),
            line(4, replied_at, Message.SenderKind.AGENT, REPLY, sender_agent_id=plan.agent_id),
        ]
    thread.append(line(len(thread) + 1, plan.last, Message.SenderKind.CONTACT, "Are you still there?"))
    return thread
