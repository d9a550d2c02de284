"""The common customer message in one statement: docs/architecture.md, "The path of a message".

Most messages a customer writes go to a conversation that is open and (in a live inbox) has its
chat going. For those, one statement takes the conversation's row lock,
bumps its `seq`, keeps the customer waiting, carries the chat or messaging stretch on, and inserts
the message: no ORM query is compiled and no model saved on the way. Anything else (a conversation
to pick or to reopen, files, a chat to start, a contact whose last seen is due) matches no row
here and takes message_receive's general path, which decides the same things with the ORM.
"""

from datetime import datetime
from functools import cache

from django.db import connection

from ..models import Conversation, Inbox, LiveSession, Message
from .statements import loaded_fields, message_insert_sql, message_insert_values

# What the caller needs of the conversation afterwards: its event's stamp, its groups, and
# whether the bot or routing is due.
CONVERSATION_FIELDS = frozenset(
    {"id", "inbox_id", "contact_id", "last_seq", "last_activity_at", "assignee_id", "bot_active"}
)
# Set by the statement itself, not by the caller's Message.
STATEMENT_SET = frozenset({"id", "conversation", "inbox", "seq", "created_at"})


def append_customer_message(
    *,
    inbox: Inbox,
    contact_id: int,
    conversation_id: int,
    now: datetime,
    received_at: datetime | None,
    message: Message,
) -> tuple[Conversation, bool] | None:
    """Store `message` (its fields filled, unsaved) as the next of an open conversation of this
    contact and inbox, inside the caller's transaction. Returns the conversation as it now is
    (only CONVERSATION_FIELDS loaded) and whether its customer starts waiting with this message;
    None, with nothing written, where the general path must decide.

    The message is timed `received_at` (a provider's time) or, once the lock is held, no earlier
    than the conversation's last activity: times follow `seq`, as on the general path.
    """
    if connection.vendor != "postgresql":  # the embedded SQLite of `make run`: the general path
        return None
    values = message_insert_values(message, STATEMENT_SET)
    with connection.cursor() as cursor:
        cursor.execute(
            _statement(live=inbox.mode == Inbox.Mode.LIVE, timed=received_at is not None),
            [conversation_id, contact_id, inbox.pk, received_at or now, now, now]
            + ([received_at] if received_at is not None else [])
            + values,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    loaded = len(CONVERSATION_FIELDS)
    conversation = Conversation.from_db(connection.alias, _conversation_fields(), row[:loaded])
    starts_waiting, message.pk, message.created_at = row[loaded:]
    message.conversation_id, message.inbox_id, message.seq = conversation.pk, inbox.pk, conversation.last_seq
    message._state.adding, message._state.db = False, connection.alias
    return conversation, starts_waiting


def _conversation_fields() -> tuple[str, ...]:
    return loaded_fields(Conversation, CONVERSATION_FIELDS)


@cache
def _statement(*, live: bool, timed: bool) -> str:
    conversations, sessions = Conversation._meta.db_table, LiveSession._meta.db_table
    open_chat = (
        f"AND EXISTS (SELECT 1 FROM {sessions} WHERE conversation_id = c.id AND closed_at IS NULL)"  # noqa: S608
        if live
        else ""
    )
    columns, placeholders = message_insert_sql(STATEMENT_SET)
    returned = ", ".join(f"bumped.{name}" for name in _conversation_fields())
    # Parameters, in order: conversation, contact, inbox, the message's time (for the
    # conversation's last activity), now (waiting since), now (the stretch), the provider's time
    # (when `timed`), the message's fields.
    return f"""
        WITH locked AS (
            SELECT c.id, c.waiting_since FROM {conversations} AS c
            WHERE c.id = %s AND c.contact_id = %s AND c.inbox_id = %s
              AND c.status = '{Conversation.Status.OPEN}' {open_chat}
            FOR UPDATE
        ), bumped AS (
            UPDATE {conversations} AS c
            SET last_seq = c.last_seq + 1,
                last_activity_at = GREATEST(c.last_activity_at, %s),
                waiting_since = COALESCE(c.waiting_since, %s)
            FROM locked WHERE c.id = locked.id
            RETURNING c.*, locked.waiting_since IS NULL AS starts_waiting
        ), stretch AS (
            UPDATE {sessions} AS s
            SET last_activity_at = GREATEST(s.last_activity_at, %s), customer_left_at = NULL
            FROM bumped WHERE s.conversation_id = bumped.id AND s.closed_at IS NULL
        ), stored AS (
            INSERT INTO {Message._meta.db_table} (conversation_id, inbox_id, seq, created_at, {columns})
            SELECT bumped.id, bumped.inbox_id, bumped.last_seq,
                   {"%s" if timed else "bumped.last_activity_at"}, {placeholders}
            FROM bumped
            RETURNING id, created_at
        )
        SELECT {returned}, bumped.starts_waiting, stored.id, stored.created_at FROM bumped, stored
    """  # noqa: S608 (names from the models' own metadata; every value is a parameter)
