"""The expiry sweep (beat): live sessions whose customer left longer than
PARLEY_LIVE_LEAVE_GRACE ago, or idle longer than their inbox's timeout, end (live chats) or close
(messaging stretches); sessions.py says what each is.

Set-based and bounded: one batch of due sessions is locked as it is found, then with their
conversations (SKIP LOCKED both times: one busy right now is the next run's, and drains side by
side each take their own), re-read under the locks, and ended with a fixed number of statements.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone

from .. import jobs
from ..models import Conversation, Inbox, LiveSession
from ..pacing import Ran
from .queue import queues_moved_by_sweep
from .sessions import live_chats_end
from .statements import loaded_instance

Reason = LiveSession.CloseReason
Kind = LiveSession.Kind
EXPIRY_BATCH_SIZE = 100
# What ending reads of a session and of its conversation as it was (live_chats_end): the ORM's
# locking read (SQLite) loads these, _LOCK_DUE_SESSIONS selects the same columns (Postgres).
SESSION_FIELDS = (
    "kind",
    "conversation_id",
    "inbox_id",
    "agent_id",
    "customer_left_at",
    "conversation__status",
    "conversation__assignee_id",
)
# A drain (tasks.expire_live_sessions) leaves the real-time servers their share of the machine by
# running each batch at the lowest CPU priority (conversations.pacing.at_low_priority), and rests
# only when the machine is busy: EXPIRY_BACKOFF times as long as the batch's thread waited for a
# core beyond the time it ran, else EXPIRY_PAUSE_SECONDS. Measured (python -m bench expiry): alone
# a batch's thread runs ~12 ms and waits ~12 (p50); beside L1 it still runs ~13 and waits ~30.
# Resting as long as each batch took, at normal priority, drained 25,000 sessions in 9.7-12.8 s
# and still raised L1's p99 2.9-4.8 times beside it; docs/benchmarks.md has the figures now.
EXPIRY_PAUSE_SECONDS = 0.002
EXPIRY_BACKOFF = 2.0
# Drains side by side once a backlog shows (a full first batch): each locks its own batch (SKIP
# LOCKED), so two workers end it in about half the time; one with fewer due than a batch ends.
EXPIRY_DRAINS = 2


def expiry_rest(ran: Ran) -> float:
    """How long a drain rests after a full batch that ran as `ran` says."""
    return max(EXPIRY_PAUSE_SECONDS, EXPIRY_BACKOFF * ran.contended_seconds)


@dataclass(frozen=True)
class ExpiryBatch:
    ended: int  # sessions ended or closed
    more: bool  # the batch was full: more may be due, the next batch should follow


def live_sessions_expire(*, now: datetime | None = None, batch_size: int = EXPIRY_BATCH_SIZE) -> int:
    """live_sessions_expire_batch, for callers that need only how many ended."""
    return live_sessions_expire_batch(now=now, batch_size=batch_size).ended


def live_sessions_expire_batch(
    *, now: datetime | None = None, batch_size: int = EXPIRY_BATCH_SIZE
) -> ExpiryBatch:
    """End, in one bounded batch, the open sessions whose customer left more than the grace period
    ago or that were idle longer than their inbox's timeout: live chats end (live_chats_end, one
    event each), messaging stretches close (_close_stretches). A re-run (or a second beat) finds
    nothing left to change.

    What the batch freed is followed up off its path, after commit: its agents' routing as one
    job, the queues it moved announced once they settle (queues_moved_by_sweep). `more` says the
    batch was full (of due conversations, ended or skipped as busy): the drain goes on."""
    now = now or timezone.now()
    left_before = now - settings.PARLEY_LIVE_LEAVE_GRACE
    with transaction.atomic():
        due_ids = _due_conversation_ids(now, left_before, batch_size)
        more = len(due_ids) >= batch_size
        if not due_ids:
            return ExpiryBatch(0, more)
        _commit_without_waiting_for_the_disk()
        sessions = _lock_due_sessions(due_ids, left_before, now)
        reasons = {
            session.pk: Reason.CUSTOMER_LEFT
            if session.customer_left_at is not None and session.customer_left_at < left_before
            else Reason.INACTIVITY
            for session in sessions
        }
        chats = [session for session in sessions if session.kind == Kind.LIVE]
        ended = live_chats_end(
            sessions=chats,
            reasons={session.pk: reasons[session.pk] for session in chats},
            now=now,
            actor=None,
        )
        if ended.agent_ids:
            jobs.run_after_commit(jobs.ROUTE_FREED_AGENTS, sorted(ended.agent_ids))
        queues_moved_by_sweep(ended.queue_inbox_ids)
        _close_stretches(
            {session.pk: reasons[session.pk] for session in sessions if session.kind == Kind.MESSAGING}
        )
        return ExpiryBatch(len(sessions), more)


def _commit_without_waiting_for_the_disk() -> None:
    """This transaction's COMMIT returns before its WAL is flushed (Postgres's asynchronous commit;
    the rest of the connection's work is untouched). A batch waited 3-7 ms for the disk, a tenth
    of its time, on every batch of a drain. What a crash of Postgres could lose is the last
    fraction of a second of ends (their events may have gone out), all of them still due to the
    next sweep, which ends them again; the database stays consistent either way. Nothing waits on
    the sweep as a customer waits on the ack of a message, whose path still commits synchronously."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _lock_due_sessions(due_ids: list[int], left_before: datetime, now: datetime) -> list[LiveSession]:
    """The open sessions of `due_ids` still due, each locked with its conversation in one read
    and skipping any that another transaction holds (the next run's): it never waits, so it cannot
    deadlock with a message that locks the conversation first. The due condition is evaluated
    again on the locked rows: a customer who came back or wrote meanwhile is no longer due.

    Each session holds SESSION_FIELDS, its conversation as it was (status, assignee) in place.
    On Postgres one plain statement, its rows made instances directly (statements.loaded_instance):
    the ORM's query, compiled for every batch, and its two instances a row built field by field
    were an eighth of a batch's Python. Elsewhere (the embedded SQLite of `make run`) the ORM's."""
    if connection.vendor != "postgresql":
        idle_deadline = ExpressionWrapper(
            Value(now) - F("inbox__session_timeout"), output_field=DateTimeField()
        )
        return list(
            LiveSession.objects.select_for_update(skip_locked=True, of=("self", "conversation"))
            .select_related("conversation")
            .only(*SESSION_FIELDS)
            .filter(
                Q(customer_left_at__lt=left_before) | Q(last_activity_at__lt=idle_deadline),
                closed_at__isnull=True,
                conversation_id__in=due_ids,
            )
            .order_by("conversation_id")
        )
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_DUE_SESSIONS, [due_ids, left_before, now])
        rows = cursor.fetchall()
    alias, sessions = connection.alias, []
    for session_id, kind, conversation_id, inbox_id, agent_id, left_at, status, assignee_id in rows:
        conversation = loaded_instance(
            Conversation, {"id": conversation_id, "status": status, "assignee_id": assignee_id}, alias=alias
        )
        session = loaded_instance(
            LiveSession,
            {
                "id": session_id,
                "kind": kind,
                "conversation_id": conversation_id,
                "inbox_id": inbox_id,
                "agent_id": agent_id,
                "customer_left_at": left_at,
            },
            alias=alias,
        )
        session._state.fields_cache["conversation"] = conversation
        sessions.append(session)
    return sessions


# The locking read of _lock_due_sessions: due ids, left before, now.
_LOCK_DUE_SESSIONS = f"""
    SELECT s.id, s.kind, s.conversation_id, s.inbox_id, s.agent_id, s.customer_left_at,
           c.status, c.assignee_id
    FROM {LiveSession._meta.db_table} AS s
    JOIN {Conversation._meta.db_table} AS c ON c.id = s.conversation_id
    JOIN {Inbox._meta.db_table} AS i ON i.id = s.inbox_id
    WHERE s.conversation_id = ANY(%s::bigint[]) AND s.closed_at IS NULL
      AND (s.customer_left_at < %s OR s.last_activity_at < %s - i.session_timeout)
    ORDER BY s.conversation_id
    FOR UPDATE OF s, c SKIP LOCKED
"""  # noqa: S608 (names from the models' own metadata; every value is a parameter)


def _due_conversation_ids(now: datetime, left_before: datetime, batch_size: int) -> list[int]:
    """Up to `batch_size` conversations whose open session looks due, each condition read from its
    own partial index: customers gone since before `left_before` (live_session_open_left), and
    for each session timeout the inboxes use, sessions idle longer than it (live_session_open_idle).
    Or-ing the two, with the timeout joined in, would scan every open session on every batch.

    Each scan walks its index oldest first, its inboxes named rather than joined: unordered (or
    sorted after a join), the planner reads the table from its start instead, past every session
    earlier batches closed, so each batch of a drain read more rows than the one before (74,000
    rows, 13 ms, by the 241st of 250)."""
    due = set(_oldest_open("customer_left_at", left_before, None, batch_size))
    inboxes_by_timeout: dict[timedelta, list[int]] = {}
    for inbox_id, timeout in Inbox.objects.order_by().values_list("pk", "session_timeout"):
        inboxes_by_timeout.setdefault(timeout, []).append(inbox_id)
    for timeout, inbox_ids in inboxes_by_timeout.items():
        due.update(_oldest_open("last_activity_at", now - timeout, inbox_ids, batch_size))
    return sorted(due)[:batch_size]


def _oldest_open(column: str, before: datetime, inbox_ids: list[int] | None, limit: int) -> list[int]:
    """The conversations of up to `limit` open sessions whose `column` is before `before` (of
    `inbox_ids` only, if given), oldest first. Locked as they are read, skipping those another
    drain (or a message) holds: drains side by side each take their own batch instead of all
    waiting on the oldest. On Postgres a plain statement (the ORM compiled each scan again for
    every batch, about 0.6 ms of the batch thread's ~11); elsewhere the ORM's."""
    if connection.vendor != "postgresql":
        sessions = LiveSession.objects.select_for_update(skip_locked=True).filter(
            closed_at__isnull=True, **{f"{column}__lt": before}
        )
        if inbox_ids is not None:
            sessions = sessions.filter(inbox_id__in=inbox_ids)
        return list(sessions.order_by(column).values_list("conversation_id", flat=True)[:limit])
    of_inboxes = "" if inbox_ids is None else "AND inbox_id = ANY(%s::bigint[])"
    sql = f"""
        SELECT conversation_id FROM {LiveSession._meta.db_table}
        WHERE closed_at IS NULL AND {column} < %s {of_inboxes}
        ORDER BY {column} LIMIT %s
        FOR UPDATE SKIP LOCKED
    """  # noqa: S608 (a column name of ours; every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, [before, *([inbox_ids] if inbox_ids is not None else []), limit])
        return [conversation_id for (conversation_id,) in cursor.fetchall()]


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
