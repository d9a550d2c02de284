"""Invariant 2: each conversation's seq is gap-free and strictly increasing, under real concurrency.

Writers are OS threads, each with its own Postgres connection, released together by a barrier so
they really contend for the conversation's row lock.
"""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from conversations import services
from conversations.models import Conversation, Message
from conversations.services.locks import lock_conversation
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory

WRITERS = 8
MESSAGES_PER_WRITER = 15

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(work: Callable[[int], None], writers: int = WRITERS) -> list[BaseException]:
    """Run work(writer_index) in `writers` threads started at the same instant; return their errors."""
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_customers_and_agents_get_gap_free_unique_seq():
    conversation = ConversationFactory()
    agent = AgentProfileFactory().user

    def write(index: int) -> None:
        for n in range(MESSAGES_PER_WRITER):
            if index % 2:
                services.message_post_reply(conversation=conversation, agent=agent, body=f"agent {index}/{n}")
            else:
                services.message_receive(
                    inbox=conversation.inbox,
                    contact=conversation.contact,
                    conversation_id=conversation.pk,
                    body=f"customer {index}/{n}",
                )

    assert run_concurrently(write) == []

    seqs = list(
        Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True)
    )
    total = WRITERS * MESSAGES_PER_WRITER
    assert seqs == list(range(1, total + 1))
    conversation.refresh_from_db()
    assert conversation.last_seq == total


def test_seq_order_matches_commit_order_per_writer():
    """Strictly increasing in the order each writer stored its messages."""
    conversation = ConversationFactory()

    def write(index: int) -> None:
        for n in range(MESSAGES_PER_WRITER):
            services.message_receive(
                inbox=conversation.inbox,
                contact=conversation.contact,
                conversation_id=conversation.pk,
                body=f"{index}:{n}",
            )

    assert run_concurrently(write) == []
    by_writer: dict[str, list[tuple[int, int]]] = {}
    for seq, body in Message.objects.filter(conversation=conversation).values_list("seq", "body"):
        writer, n = body.split(":")
        by_writer.setdefault(writer, []).append((int(n), seq))
    for pairs in by_writer.values():
        pairs.sort()
        seqs_in_write_order = [seq for _, seq in pairs]
        assert seqs_in_write_order == sorted(seqs_in_write_order)


def test_concurrent_replays_of_one_client_id_store_one_message():
    conversation = ConversationFactory()
    stored: list[int] = []

    def replay(index: int) -> None:
        message = services.message_receive(
            inbox=conversation.inbox,
            contact=conversation.contact,
            conversation_id=conversation.pk,
            body="where is my order?",
            client_message_id="0f9e1c7a-6d2b-4f21-9a55-8a1c2f3b4d5e",
        )
        stored.append(message.pk)

    assert run_concurrently(replay) == []
    assert Message.objects.filter(conversation=conversation).count() == 1
    assert len(set(stored)) == 1
    conversation.refresh_from_db()
    assert conversation.last_seq == 1


def test_concurrent_first_messages_from_a_new_contact_open_one_conversation():
    inbox = InboxFactory()
    contact = ContactFactory()

    def first_message(index: int) -> None:
        services.message_receive(inbox=inbox, contact=contact, body=f"hello {index}")

    assert run_concurrently(first_message) == []
    conversations = Conversation.objects.filter(inbox=inbox, contact=contact)
    assert conversations.count() == 1
    assert list(conversations[0].messages.values_list("seq", flat=True).order_by("seq")) == list(
        range(1, WRITERS + 1)
    )


def test_concurrent_first_contact_on_a_channel_creates_one_identity():
    inbox = InboxFactory(channel_type="sms")
    contacts: list[int] = []

    def identify(index: int) -> None:
        contacts.append(services.contact_identify(inbox=inbox, source_id="+14155550123").pk)

    assert run_concurrently(identify) == []
    assert len(set(contacts)) == 1
    assert inbox.identities.count() == 1


def test_writers_in_two_conversations_of_one_inbox_do_not_wait_for_each_other():
    """The conversation lock takes that row alone, not the inbox joined to it."""
    inbox = InboxFactory()
    held, other = ConversationFactory(inbox=inbox), ConversationFactory(inbox=inbox)
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                lock_conversation(held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            services.message_receive(
                inbox=inbox, contact=other.contact, conversation_id=other.pk, body="not blocked"
            )
    finally:
        release.set()
        holder.join(timeout=30)
    assert other.messages.count() == 1
