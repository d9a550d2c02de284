"""Service-level clocks: started and stopped inside the transaction of the change that starts or
stops them (a durable subscriber, like the fact log), swept for breaches by beat.

Each clock follows docs/reports.md: first response from the customer's first message of a cycle
(or the bot's hand-off, when the bot had it), next response from the first unanswered customer
message after a person's, resolution from the cycle's start. A deadline is fixed when its clock
starts, in the inbox's business time, from the most specific active policy then. A person's
message stops the response clocks; a resolve stops them all (next response without a verdict,
as on pending). A clock is met if it stops by its deadline, missed otherwise: the sweep records
a miss within a minute of the deadline, and tells the desks.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from conversations import events, services
from conversations.event_catalogue import EventType
from conversations.hours import schedule_of
from conversations.models import Conversation
from conversations.process_copy import ProcessCopy

from .models import Fact, SlaClock, SlaPolicy

Target, Outcome = SlaClock.Target, SlaClock.Outcome
SWEEP_BATCH = 5000


def _active_policies() -> list[SlaPolicy]:
    return list(SlaPolicy.objects.filter(is_active=True).order_by("pk"))


# The active policies, per process: most messages of an account without policies cost no query.
policies = ProcessCopy("reports:sla-policies:generation", _active_policies)


def _policies_changed(**_: object) -> None:
    policies.announce_change()


post_save.connect(_policies_changed, sender=SlaPolicy, dispatch_uid="sla-policies-changed-save")
post_delete.connect(_policies_changed, sender=SlaPolicy, dispatch_uid="sla-policies-changed-delete")


def policy_for(conversation: Conversation, label_ids: set[int]) -> SlaPolicy | None:
    """The most specific active policy that applies: each criterion it sets must match, and the
    one that sets the most wins (the oldest on a tie)."""
    best, best_score = None, -1
    for policy in policies.get():
        criteria = (
            (policy.inbox_id, conversation.inbox_id),
            (policy.priority, conversation.priority),
        )
        if any(wanted is not None and wanted != actual for wanted, actual in criteria):
            continue
        if policy.label_id is not None and policy.label_id not in label_ids:
            continue
        score = sum(value is not None for value in (policy.inbox_id, policy.priority, policy.label_id))
        if score > best_score:
            best, best_score = policy, score
    return best


# --- the clocks, moved by events ---

STARTS_OR_STOPS = {
    EventType.MESSAGE_CREATED,
    EventType.CONVERSATION_CREATED,
    EventType.CONVERSATION_STATUS_CHANGED,
    EventType.CONVERSATION_HANDED_OFF,
}


def track_clocks(batch: Sequence[events.Event]) -> None:
    """Durable subscriber: start and stop the clocks the batch's events start and stop."""
    if not policies.get():
        return
    moves = [event for event in batch if event.get("type") in STARTS_OR_STOPS and _moves_a_clock(event)]
    if not moves:
        return
    now = timezone.now()
    due: dict[int, datetime | None] = {}
    for event in moves:
        conversation = (
            Conversation.objects.select_related("inbox").filter(pk=event["conversation_id"]).first()
        )
        if conversation is not None:
            due[conversation.pk] = _apply(conversation, event, now)
    services.conversations_set_sla_due(due)


def _moves_a_clock(event: events.Event) -> bool:
    if event["type"] != EventType.MESSAGE_CREATED:
        return True
    return event["sender_kind"] in ("contact", "agent") and not event["is_private"]


def _apply(conversation: Conversation, event: events.Event, now: datetime) -> datetime | None:
    running = {
        clock.target: clock
        for clock in SlaClock.objects.filter(conversation_id=conversation.pk, stopped_at=None)
    }
    kind = event["type"]
    cycle_start = kind == EventType.CONVERSATION_CREATED or (
        kind == EventType.CONVERSATION_STATUS_CHANGED
        and event["previous_status"] == Conversation.Status.RESOLVED
    )
    if cycle_start and conversation.status == Conversation.Status.OPEN:
        _start(conversation, Target.RESOLUTION, now, running)
    elif kind == EventType.CONVERSATION_STATUS_CHANGED and event["status"] == Conversation.Status.RESOLVED:
        for target in list(running):
            _stop(running.pop(target), now, conversation, verdict=target == Target.RESOLUTION)
    elif kind == EventType.CONVERSATION_STATUS_CHANGED and event["status"] == Conversation.Status.PENDING:
        if Target.NEXT_RESPONSE in running:
            _stop(running.pop(Target.NEXT_RESPONSE), now, conversation, verdict=False)
    elif kind == EventType.CONVERSATION_HANDED_OFF:
        if conversation.waiting_since is not None and not _first_response_started(conversation):
            _start(conversation, Target.FIRST_RESPONSE, now, running)
    elif kind == EventType.MESSAGE_CREATED and event["sender_kind"] == "contact":
        if conversation.bot_active or Target.FIRST_RESPONSE in running or Target.NEXT_RESPONSE in running:
            pass
        elif not _first_response_started(conversation):
            _start(conversation, Target.FIRST_RESPONSE, now, running)
        else:
            _start(conversation, Target.NEXT_RESPONSE, now, running)
    elif kind == EventType.MESSAGE_CREATED:  # a person's public message
        for target in (Target.FIRST_RESPONSE, Target.NEXT_RESPONSE):
            if target in running:
                _stop(running.pop(target), now, conversation, verdict=True)
        if not _first_response_started(conversation):  # the agent wrote first: the answer is had
            SlaClock.objects.create(
                conversation_id=conversation.pk,
                inbox_id=conversation.inbox_id,
                target=Target.FIRST_RESPONSE,
                started_at=now,
                due_at=now,
                stopped_at=now,
                outcome=Outcome.CANCELLED,
                cycle=conversation.reopen_count,
            )
    return min((clock.due_at for clock in running.values()), default=None)


def _first_response_started(conversation: Conversation) -> bool:
    return SlaClock.objects.filter(
        conversation_id=conversation.pk, target=Target.FIRST_RESPONSE, cycle=conversation.reopen_count
    ).exists()


def _start(conversation: Conversation, target: str, now: datetime, running: dict) -> None:
    if target in running:
        return
    policy = policy_for(conversation, set(conversation.labels.values_list("pk", flat=True)))
    length = policy.target(target) if policy is not None else None
    if length is None:
        return
    due = schedule_of(conversation.inbox).deadline(now, length.total_seconds())
    if due is None:  # an inbox that never opens again: no deadline can be promised
        return
    running[target] = SlaClock.objects.create(
        conversation_id=conversation.pk,
        inbox_id=conversation.inbox_id,
        policy=policy,
        target=target,
        started_at=now,
        due_at=due,
        cycle=conversation.reopen_count,
    )


def _stop(clock: SlaClock, now: datetime, conversation: Conversation, *, verdict: bool) -> None:
    """Stop a clock: met or missed when the stop gives a verdict, cancelled when not (a clock
    already swept as breached stays missed)."""
    if clock.breached_at is not None:
        outcome = Outcome.MISSED
    elif not verdict:
        outcome = Outcome.CANCELLED
    else:
        outcome = Outcome.MET if now <= clock.due_at else Outcome.MISSED
        Fact.objects.create(
            at=now,
            kind=Fact.Kind.SLA_MET if outcome == Outcome.MET else Fact.Kind.SLA_MISSED,
            conversation_id=conversation.pk,
            inbox_id=conversation.inbox_id,
            agent_id=conversation.assignee_id,
            team_id=conversation.team_id,
            data={"target": clock.target},
        )
    SlaClock.objects.filter(pk=clock.pk).update(stopped_at=now, outcome=outcome)


# --- the sweep ---


def sla_breaches_sweep(now: datetime | None = None) -> int:
    """Record every running clock past its deadline as missed, once, and tell the desks (beat,
    every 30 seconds: a breach is seen within a minute). Set-based, in batches of SWEEP_BATCH:
    one UPDATE, one INSERT of facts, one event per conversation each. Returns how many clocks
    breached."""
    now = now or timezone.now()
    total = 0
    while True:
        swept = _sweep_batch(now)
        total += swept
        if swept < SWEEP_BATCH:
            return total


# One statement per batch: lock the due clocks (SKIP LOCKED: two sweeps never share one), mark
# them breached, and write their "missed" facts credited to each conversation's assignee and team,
# returning what the events need. The ORM would instantiate and compile 10,000 rows three times.
SWEEP_SQL = """
WITH due AS (
    SELECT id FROM reports_slaclock
    WHERE stopped_at IS NULL AND breached_at IS NULL AND due_at <= %(now)s
    ORDER BY due_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED
), swept AS (
    UPDATE reports_slaclock clock SET breached_at = %(now)s FROM due WHERE clock.id = due.id
    RETURNING clock.conversation_id, clock.inbox_id, clock.target
), missed AS (
    INSERT INTO reports_fact (at, kind, conversation_id, inbox_id, agent_id, team_id, data)
    SELECT %(now)s, %(kind)s, swept.conversation_id, swept.inbox_id, c.assignee_id, c.team_id,
           jsonb_build_object('target', swept.target)
    FROM swept LEFT JOIN conversations_conversation c ON c.id = swept.conversation_id
    RETURNING conversation_id, inbox_id, agent_id, data ->> 'target' AS target
)
SELECT missed.conversation_id, missed.inbox_id, missed.agent_id, c.last_seq, missed.target
FROM missed LEFT JOIN conversations_conversation c ON c.id = missed.conversation_id
"""


@dataclass(frozen=True)
class _Breached:
    """What an sla.breached event says of its conversation (events.conversation_event's fields)."""

    pk: int
    inbox_id: int
    assignee_id: int | None
    last_seq: int


def _sweep_batch(now: datetime) -> int:
    with transaction.atomic():
        rows = _swept_on_postgres(now) if connection.vendor == "postgresql" else _swept_elsewhere(now)
        breached: dict[int, tuple[_Breached, list[str]]] = {}
        for conversation_id, inbox_id, assignee_id, last_seq, target in rows:
            if last_seq is None:
                continue  # the conversation is gone: its fact stands, nobody to tell
            conversation = _Breached(conversation_id, inbox_id, assignee_id, last_seq)
            breached.setdefault(conversation_id, (conversation, []))[1].append(target)
        with events.published_together():
            for conversation, targets in breached.values():
                events.publish_on_commit(
                    events.conversation_event(EventType.SLA_BREACHED, conversation, targets=sorted(targets)),
                    groups=events.conversation_groups(conversation, agents_only=True),
                )
    return len(rows)


def _swept_on_postgres(now: datetime) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(SWEEP_SQL, {"now": now, "limit": SWEEP_BATCH, "kind": Fact.Kind.SLA_MISSED})
        return cursor.fetchall()


def _swept_elsewhere(now: datetime) -> list[tuple]:
    """SWEEP_SQL's work through the ORM, for SQLite (`make run`): one writer, no SKIP LOCKED."""
    due = list(
        SlaClock.objects.filter(stopped_at=None, breached_at=None, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", "conversation_id", "inbox_id", "target")[:SWEEP_BATCH]
    )
    SlaClock.objects.filter(pk__in=[row[0] for row in due]).update(breached_at=now)
    conversations = {
        row[0]: row[1:]
        for row in Conversation.objects.filter(pk__in={row[1] for row in due}).values_list(
            "pk", "assignee_id", "team_id", "last_seq"
        )
    }
    missed = [
        (conversation_id, inbox_id, target, *conversations.get(conversation_id, (None, None, None)))
        for _, conversation_id, inbox_id, target in due
    ]
    Fact.objects.bulk_create(
        Fact(
            at=now,
            kind=Fact.Kind.SLA_MISSED,
            conversation_id=conversation_id,
            inbox_id=inbox_id,
            agent_id=assignee_id,
            team_id=team_id,
            data={"target": target},
        )
        for conversation_id, inbox_id, target, assignee_id, team_id, _ in missed
    )
    return [
        (conversation_id, inbox_id, assignee_id, last_seq, target)
        for conversation_id, inbox_id, target, assignee_id, _, last_seq in missed
    ]
