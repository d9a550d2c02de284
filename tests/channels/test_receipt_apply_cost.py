"""What a worker's drain costs per receipt (issue 19, step 4): a known customer's message into
their open conversation takes the one-statement path, like the widget's, and the receipts of a
drain share one transaction. Held as statement lists, so an added query shows up as a failing
test; and what the shortcuts must not change, checked beside them: a resolved conversation still
goes by the inbox's reopen policy, and one receipt that fails leaves the others applied."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_in.adapters.base import InboundMessage
from channels_in.models import WebhookReceipt
from channels_in.receipts import receipts_apply_new, receipts_store
from conversations import services
from conversations.models import Conversation, Inbox, Message

pytestmark = pytest.mark.django_db(transaction=True)  # commits for real: after-commit work counts

PHONE = "+14155550123"


def store(inbox: Inbox, *bodies: str, start: int = 0, source_id: str = PHONE) -> None:
    events = [
        InboundMessage(provider_message_id=f"SM{start + n:06d}", source_id=source_id, body=body)
        for n, body in enumerate(bodies)
    ]
    receipts_store(inbox=inbox, provider="twilio", events=events, raw_body=b"{}")


def statement(sql: str) -> str:
    sql = sql.strip()
    if sql.startswith("WITH"):
        return "WITH " + ", ".join(re.findall(r"(FOR UPDATE|UPDATE \w+|INSERT INTO \w+)", sql))
    if "LATERAL" in sql:
        return "SELECT contact with latest conversation"
    verb = sql.split(" ", 1)[0]
    if verb in ("SAVEPOINT", "RELEASE"):  # without the savepoint's generated name
        return verb
    return verb if '"' not in sql else f"{verb} {sql.split(chr(34))[1]}"


def test_a_known_customers_messages_are_one_statement_each_in_one_transaction(twilio_inbox):
    store(twilio_inbox, "Hi, is my order shipped?")
    receipts_apply_new()  # the first: a new contact and conversation, by the general path
    conversation = Conversation.objects.get(inbox=twilio_inbox)
    store(twilio_inbox, "Order 4821", "It was due Monday", "Thanks", start=1)
    with CaptureQueriesContext(connection) as queries:
        assert receipts_apply_new() == 3
    one_message = [
        "SAVEPOINT",  # the receipt's own: a failure undoes its apply alone
        "SELECT contact with latest conversation",
        "SAVEPOINT",  # message_receive's: a replayed provider id rolls back to it
        "WITH FOR UPDATE, UPDATE conversations_conversation, UPDATE conversations_livesession, "
        "INSERT INTO conversations_message",
        "INSERT reports_fact",
        "RELEASE",
        "RELEASE",
    ]
    assert [statement(query["sql"]) for query in queries] == [
        "SELECT channels_in_webhookreceipt",  # the drain's batch of ids
        "BEGIN",
        "SELECT channels_in_webhookreceipt",  # locked, with their inbox
        *one_message * 3,
        "UPDATE channels_in_webhookreceipt",  # all three applied
        "COMMIT",
    ]
    stored = Message.objects.filter(conversation=conversation).order_by("seq")
    assert [m.body for m in stored][1:] == ["Order 4821", "It was due Monday", "Thanks"]
    assert set(WebhookReceipt.objects.values_list("state", "attempts")) == {("applied", 1)}


def test_a_resolved_conversation_still_goes_by_the_reopen_policy(twilio_inbox, agent):
    twilio_inbox.reopen_policy = Inbox.ReopenPolicy.START_NEW
    twilio_inbox.save()
    store(twilio_inbox, "First question")
    receipts_apply_new()
    first = Conversation.objects.get(inbox=twilio_inbox)
    services.conversation_resolve(conversation=first, actor=agent)
    store(twilio_inbox, "Another question", start=1)
    receipts_apply_new()
    second = Conversation.objects.exclude(pk=first.pk).get(inbox=twilio_inbox)
    assert list(second.messages.values_list("body", flat=True)) == ["Another question"]
    assert Conversation.objects.get(pk=first.pk).status == Conversation.Status.RESOLVED


def test_one_receipt_that_cannot_apply_leaves_the_others_of_its_transaction_applied(twilio_inbox):
    store(twilio_inbox, "Before")
    store(twilio_inbox, "", start=1)  # an SMS with no text and no media: refused by the core
    store(twilio_inbox, "After", start=2)
    assert receipts_apply_new() == 2
    states = dict(WebhookReceipt.objects.values_list("key", "state"))
    assert states == {
        "message:SM000000": "applied",
        "message:SM000001": "failed",
        "message:SM000002": "applied",
    }
    assert list(Message.objects.order_by("seq").values_list("body", flat=True)) == ["Before", "After"]
