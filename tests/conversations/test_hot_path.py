"""The common message (a customer who wrote a moment ago, writing again into the conversation they
are waiting on) is the hot path: its statement count is part of docs/architecture.md's budget,
held here so an added query shows up as a failing test, not as a slower benchmark."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations import services
from conversations.models import Contact, Conversation
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)  # commits for real: after-commit work counts


def statements_of_one_more_message(inbox) -> list[str]:
    contact = ContactFactory()
    first = services.message_receive(inbox=inbox, contact=contact, body="Hello?")
    with CaptureQueriesContext(connection) as queries:
        services.message_receive(
            inbox=inbox, contact=contact, conversation_id=first.conversation_id, body="Hi?"
        )
    assert Conversation.objects.get(pk=first.conversation_id).last_seq == 2
    return [_verb_and_table(query["sql"]) for query in queries]


def _verb_and_table(sql: str) -> str:
    sql = sql.strip()
    if sql.startswith("WITH"):  # a statement of several: what each part locks, writes or reads
        parts = re.findall(r"(FOR UPDATE|UPDATE \w+|INSERT INTO \w+)", sql)
        return "WITH " + ", ".join(part.replace("INSERT INTO", "INSERT") for part in parts)
    verb = sql.split(" ", 1)[0]
    return verb if '"' not in sql else f"{verb} {sql.split(chr(34))[1]}"


def test_a_message_on_a_waiting_conversation_is_one_transaction_of_three_statements():
    """No contact lock (seen within the minute), no routing pass (nobody's room changed), and the
    message's own writes in one statement (conversations/services/receiving.py)."""
    statements = statements_of_one_more_message(InboxFactory())
    assert statements == [
        "BEGIN",
        "WITH FOR UPDATE, "  # the conversation's row lock, which orders seq
        "UPDATE conversations_conversation, "  # last_seq, last activity, waiting since
        "UPDATE conversations_livesession, "  # the messaging stretch's last activity (reports)
        "INSERT conversations_message",
        "INSERT reports_fact",  # the message, for reports' response times
        "COMMIT",
    ]


def test_a_customer_last_seen_minutes_ago_is_seen_first_and_stays_on_the_one_statement():
    """A customer writing every few minutes (an SMS) has a last seen due on every message: it is
    written first (the contact before the conversation, as the lock order asks), and the message
    still takes the one statement instead of the general path."""
    inbox = InboxFactory()
    contact = ContactFactory()
    first = services.message_receive(inbox=inbox, contact=contact, body="Hello?")
    long_ago = timezone.now() - timedelta(minutes=5)
    Contact.objects.filter(pk=contact.pk).update(last_seen_at=long_ago)
    contact.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        services.message_receive(
            inbox=inbox, contact=contact, conversation_id=first.conversation_id, body="Hi?"
        )
    statements = [_verb_and_table(query["sql"]) for query in queries]
    assert statements == [
        "BEGIN",
        "UPDATE conversations_contact",  # last seen: the contact's row lock, first
        "WITH FOR UPDATE, UPDATE conversations_conversation, UPDATE conversations_livesession, "
        "INSERT conversations_message",
        "INSERT reports_fact",
        "COMMIT",
    ]
    assert Contact.objects.get(pk=contact.pk).last_seen_at > long_ago
