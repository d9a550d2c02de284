"""Invariants 1 and 4: persisted before anyone is told; published only after commit, carrying seq.

These run with real transactions (transaction=True) and the configured channel layer (Redis in CI),
so on_commit really fires or is really discarded.
"""

import pytest
from django.db import transaction

from conversations import events, services
from conversations.event_catalogue import EventType
from conversations.models import Message
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def test_no_event_when_the_transaction_rolls_back(listen):
    conversation = ConversationFactory()
    listener = listen(
        events.inbox_group(conversation.inbox_id),
        events.contact_group(conversation.contact_id, conversation.inbox_id),
    )

    with pytest.raises(Boom), transaction.atomic():
        services.message_receive(
            inbox=conversation.inbox,
            contact=conversation.contact,
            conversation_id=conversation.pk,
            body="lost",
        )
        raise Boom

    assert listener.receive_all() == []
    assert Message.objects.count() == 0
    conversation.refresh_from_db()
    assert conversation.last_seq == 0


def test_nothing_is_published_before_commit_and_the_row_is_there_when_it_is(listen):
    conversation = ConversationFactory()
    listener = listen(events.inbox_group(conversation.inbox_id))

    with transaction.atomic():
        message = services.message_receive(
            inbox=conversation.inbox, contact=conversation.contact, conversation_id=conversation.pk, body="hi"
        )
        assert listener.receive_all(timeout=0.2) == []  # still inside the transaction

    received = listener.receive_all()
    assert [event["type"] for event in received] == [EventType.MESSAGE_CREATED]
    # Persist first: whoever hears the event can read the message.
    assert Message.objects.filter(pk=received[0]["message_id"]).exists()
    assert received[0]["message_id"] == message.pk


def test_every_event_carries_the_conversations_latest_seq(listen):
    inbox = InboxFactory()
    contact = ContactFactory()
    agent = AgentProfileFactory().user
    listener = listen(events.inbox_group(inbox.pk))

    first = services.message_receive(inbox=inbox, contact=contact, body="hello")
    conversation = first.conversation
    services.message_post_reply(conversation=conversation, agent=agent, body="hi there")
    services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)
    services.conversation_resolve(conversation=conversation, actor=agent)

    received = listener.receive_all()
    types = [event["type"] for event in received]
    assert types == [
        EventType.CONVERSATION_CREATED,
        EventType.MESSAGE_CREATED,  # customer message, seq 1
        EventType.MESSAGE_CREATED,  # agent reply, seq 2
        EventType.MESSAGE_CREATED,  # activity: assigned, seq 3
        EventType.CONVERSATION_ASSIGNED,
        EventType.MESSAGE_CREATED,  # activity: resolved, seq 4
        EventType.CONVERSATION_STATUS_CHANGED,
    ]
    assert all("seq" in event and event["conversation_id"] == conversation.pk for event in received)
    assert [event["message_seq"] for event in received if event["type"] == EventType.MESSAGE_CREATED] == [
        1,
        2,
        3,
        4,
    ]
    assert received[-1]["seq"] == 4
    assert received[-1]["status"] == "resolved"


def test_private_notes_never_reach_the_customers_group(listen):
    conversation = ConversationFactory()
    agent = AgentProfileFactory().user
    customer = listen(events.contact_group(conversation.contact_id, conversation.inbox_id))
    agents = listen(events.inbox_group(conversation.inbox_id))

    services.message_post_reply(
        conversation=conversation, agent=agent, body="VIP, refund ok", is_private=True
    )

    assert customer.receive_all() == []
    assert [event["is_private"] for event in agents.receive_all()] == [True]


def test_a_failure_of_the_layer_after_commit_does_not_undo_or_raise(monkeypatch):
    """The layer may be down: the message is committed and the caller gets it; clients resync."""
    conversation = ConversationFactory()

    class BrokenLayer:
        async def group_send(self, group, event):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(events, "get_channel_layer", lambda: BrokenLayer())
    message = services.message_receive(
        inbox=conversation.inbox,
        contact=conversation.contact,
        conversation_id=conversation.pk,
        body="still stored",
    )
    assert Message.objects.get(pk=message.pk).body == "still stored"


def test_a_reopen_by_the_customer_is_announced_with_the_seq_of_their_message(listen):
    conversation = ConversationFactory()
    agent = AgentProfileFactory().user
    services.conversation_resolve(conversation=conversation, actor=agent)  # seq 1: activity line
    events.publisher.drain()  # the resolve's own event is sent before we start listening
    listener = listen(events.contact_group(conversation.contact_id, conversation.inbox_id))

    message = services.message_receive(
        inbox=conversation.inbox,
        contact=conversation.contact,
        conversation_id=conversation.pk,
        body="one more thing",
    )

    reopened = [
        event for event in listener.receive_all() if event["type"] == EventType.CONVERSATION_STATUS_CHANGED
    ]
    assert [(event["status"], event["seq"]) for event in reopened] == [("open", message.seq)]
    assert message.seq == 2


def test_events_committed_together_reach_each_of_their_groups_once_and_in_order(listen):
    """The publisher sends what waits for it as one pipeline (a sweep's batch, a burst of
    messages): every event still reaches each of its groups once, in commit order."""
    inbox = InboxFactory()
    conversations = [ConversationFactory(inbox=inbox) for _ in range(3)]
    agents = listen(events.inbox_group(inbox.pk))
    customers = [listen(events.contact_group(c.contact_id, inbox.pk)) for c in conversations]
    with transaction.atomic():
        for n in range(150):
            conversation = conversations[n % 3]
            events.publish_on_commit(
                events.conversation_event(EventType.CONVERSATION_UPDATED, conversation, priority=n),
                groups=events.conversation_groups(conversation),
            )
    assert [event["priority"] for event in agents.receive_all()] == list(range(150))
    for offset, customer in enumerate(customers):
        assert [event["priority"] for event in customer.receive_all()] == list(range(offset, 150, 3))


def test_events_published_together_are_sent_after_commit_in_order_or_not_at_all(listen):
    """A `published_together` block (a sweep's batch) hands its events to the publisher in one go
    once the transaction commits: each still reaches its groups once and in order, events
    published after the block follow them, and a block whose transaction rolls back sends none."""
    inbox = InboxFactory()
    conversations = [ConversationFactory(inbox=inbox) for _ in range(3)]
    agents = listen(events.inbox_group(inbox.pk))

    def publish(conversation, n):
        events.publish_on_commit(
            events.conversation_event(EventType.CONVERSATION_UPDATED, conversation, priority=n),
            groups=events.conversation_groups(conversation),
        )

    with pytest.raises(Boom), transaction.atomic():
        with events.published_together():
            publish(conversations[0], -1)
        raise Boom
    with transaction.atomic():
        with events.published_together():
            for n in range(100):
                publish(conversations[n % 3], n)
            assert agents.receive_all(timeout=0.2) == []  # nothing before commit
        publish(conversations[0], 100)  # after the block, in the same transaction
    assert [event["priority"] for event in agents.receive_all()] == list(range(101))
