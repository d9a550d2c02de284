"""Live chats ended in bulk in one statement (Postgres): the sweep ends hundreds at a time.

One statement closes the sessions, resolves and unassigns their conversations (bumping each
`seq`) and inserts each conversation's end line, as append_in_bulk does in four with the ORM; no
query is compiled and no model is saved on the way. The rows it returns are all the events need.
Elsewhere (the embedded SQLite of `make run`) the ORM's path does the same.
"""

from datetime import datetime
from functools import cache

from django.db import connection
from django.db.models import Case, Value, When

from ..models import Conversation, LiveSession, Message
from .appending import activity_line, append_in_bulk, remember_attachments
from .statements import loaded_fields, loaded_instance, message_insert_sql, message_insert_values

# Set by the statement itself, not taken from the line's template.
STATEMENT_SET = frozenset({"id", "conversation", "inbox", "seq", "created_at", "body"})
# What the events need of each conversation (Model.from_db wants them in the model's order).
CONVERSATION_FIELDS = frozenset({"id", "inbox_id", "contact_id", "last_seq", "team_id"})
Status = Conversation.Status


def chats_close_with_lines(
    *, lines: dict[int, tuple[int, str, str]], now: datetime
) -> dict[int, tuple[Conversation, Message]]:
    """Close live sessions and resolve and unassign their conversations (locked by the caller),
    each with an agent-only end line. `lines` maps a conversation id to (its open session's id,
    the close reason, the line's text). Returns, per conversation id, the conversation as it now
    is (the fields events need) and its end line (rendering it costs no query). Announces
    nothing: the caller does."""
    if not lines:
        return {}
    if connection.vendor != "postgresql":
        return _close_with_the_orm(lines, now)
    values = message_insert_values(Message(**activity_line("")), STATEMENT_SET)
    ids = list(lines)
    with connection.cursor() as cursor:
        cursor.execute(
            _statement(),
            [
                ids,
                [lines[pk][0] for pk in ids],
                [lines[pk][1] for pk in ids],
                [lines[pk][2] for pk in ids],
                now,
                now,
                now,
                now,
                *values,
            ],
        )
        rows = cursor.fetchall()
    ended = {}
    # Every line is the template's fields but its own; none has attachments (one empty prefetched
    # set, shared, costs no query).
    template = dict(vars(Message(created_at=now, **activity_line(""))))
    del template["_state"]
    no_attachments = None
    fields, alias = _conversation_fields(), connection.alias
    for *conversation_values, message_id in rows:
        conversation = loaded_instance(
            Conversation,
            {
                **dict(zip(fields, conversation_values, strict=True)),
                "status": Status.RESOLVED,
                "resolved_at": now,
                "assignee_id": None,
                "snoozed_until": None,
                "waiting_since": None,
            },
            alias=alias,
        )
        line = loaded_instance(
            Message,
            {
                **template,
                "id": message_id,
                "conversation_id": conversation.pk,
                "inbox_id": conversation.inbox_id,
                "seq": conversation.last_seq,
                "body": lines[conversation.pk][2],
            },
            alias=alias,
        )
        if no_attachments is None:
            remember_attachments(line, [])
            no_attachments = line._prefetched_objects_cache
        line._prefetched_objects_cache = no_attachments
        ended[conversation.pk] = (conversation, line)
    return ended


def _close_with_the_orm(
    lines: dict[int, tuple[int, str, str]], now: datetime
) -> dict[int, tuple[Conversation, Message]]:
    by_reason: dict[str, list[int]] = {}
    for session_id, reason, _ in lines.values():
        by_reason.setdefault(reason, []).append(session_id)
    LiveSession.objects.filter(pk__in=[session_id for session_id, _, _ in lines.values()]).update(
        closed_at=now,
        customer_left_at=None,
        close_reason=Case(*(When(pk__in=ids, then=Value(reason)) for reason, ids in by_reason.items())),
    )
    return append_in_bulk(
        {pk: activity_line(text) for pk, (_, _, text) in lines.items()},
        at=now,
        announce=False,
        status=Status.RESOLVED,
        resolved_at=now,
        waiting_since=None,
        snoozed_until=None,
        assignee=None,
    )


def _conversation_fields() -> tuple[str, ...]:
    return loaded_fields(Conversation, CONVERSATION_FIELDS)


@cache
def _statement() -> str:
    conversations, sessions = Conversation._meta.db_table, LiveSession._meta.db_table
    columns, placeholders = message_insert_sql(STATEMENT_SET)
    returned = ", ".join(f"bumped.{name}" for name in _conversation_fields())
    # Parameters, in order: conversation ids, their sessions' ids, close reasons, line texts (one
    # array each, in the same order), now (closed at, last activity, resolved at, the line's
    # time), the line's other fields.
    return f"""
        WITH ending AS (
            SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[])
                AS ending(conversation_id, session_id, reason, body)
        ), closed AS (
            UPDATE {sessions} AS s
            SET closed_at = %s, customer_left_at = NULL, close_reason = ending.reason
            FROM ending WHERE s.id = ending.session_id
        ), bumped AS (
            UPDATE {conversations} AS c
            SET last_seq = c.last_seq + 1, last_activity_at = GREATEST(c.last_activity_at, %s),
                status = '{Status.RESOLVED}', resolved_at = %s, waiting_since = NULL,
                snoozed_until = NULL, assignee_id = NULL
            FROM ending WHERE c.id = ending.conversation_id
            RETURNING {", ".join(f"c.{name}" for name in _conversation_fields())}, ending.body
        ), stored AS (
            INSERT INTO {Message._meta.db_table} (conversation_id, inbox_id, seq, created_at, body, {columns})
            SELECT bumped.id, bumped.inbox_id, bumped.last_seq, %s, bumped.body, {placeholders}
            FROM bumped
            RETURNING id, conversation_id
        )
        SELECT {returned}, stored.id FROM bumped JOIN stored ON stored.conversation_id = bumped.id
    """  # noqa: S608 (names from the models' own metadata; every value is a parameter)
