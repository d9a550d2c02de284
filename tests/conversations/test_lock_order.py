"""One lock order (conversations/services/locks.py), run on Postgres the way two writers meet.

A customer writing into a conversation they name (the widget, the API channel) and an agent
merging that customer into another contact touch the same two rows, contact and conversation.
Taken in opposite orders they deadlock: Postgres then kills one of them, a lost message or a
failed merge. Here the first writer is held between its two locks, the moment the deadlock needs.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from conversations import services
from conversations.models import Contact, Conversation, Message
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHARED_ID = "held-by-an-open-transaction"


def waiting_on_a_lock(count: int, timeout: float = 10) -> None:
    """Until `count` other sessions wait for a lock (Postgres's own view of it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"{count} sessions never waited for a lock")


def in_thread(work, errors: list) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_customer_writing_into_a_conversation_while_an_agent_merges_them_both_succeed():
    inbox = InboxFactory()
    customer, other = ContactFactory(name="Kim"), ContactFactory(name="Kim (phone)")
    conversation = ConversationFactory(inbox=inbox, contact=customer)
    bystander = ConversationFactory(inbox=inbox, contact=ContactFactory())
    release = threading.Event()
    errors: list[BaseException] = []

    def holder() -> None:
        """An open transaction that stored a message under the id the customer will send: the
        customer's INSERT waits for it on the unique index, after its first lock."""
        with transaction.atomic():
            services.message_receive(
                inbox=inbox,
                contact=bystander.contact,
                conversation_id=bystander.pk,
                body="x",
                client_message_id=SHARED_ID,
            )
            release.wait(10)
            transaction.set_rollback(True)

    def customer_writes() -> None:
        services.message_receive(
            inbox=inbox,
            contact=customer,
            conversation_id=conversation.pk,
            body="Where is my parcel?",
            client_message_id=SHARED_ID,
        )

    def agent_merges() -> None:
        services.contact_merge(
            keep=Contact.objects.get(pk=other.pk), merge=Contact.objects.get(pk=customer.pk)
        )

    threads = [in_thread(holder, errors)]
    time.sleep(0.3)
    threads.append(in_thread(customer_writes, errors))
    waiting_on_a_lock(1)  # the customer, held by the holder
    threads.append(in_thread(agent_merges, errors))
    waiting_on_a_lock(2)  # and the merge, held by the customer
    release.set()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    message = Message.objects.get(client_message_id=SHARED_ID)
    assert message.conversation_id == conversation.pk and message.body == "Where is my parcel?"
    assert Conversation.objects.get(pk=conversation.pk).contact_id == other.pk
    assert not Contact.objects.filter(pk=customer.pk).exists()
