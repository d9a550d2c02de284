"""Conversations pending on the customer resolve themselves after the inbox's time, with a word to
the customer where the channel allows one; set-based, and a re-run changes nothing."""

from datetime import timedelta

import pytest

from conversations import events, services
from conversations.models import Conversation, Message, OutboundDelivery
from conversations.tasks import auto_resolve_pending_conversations
from tests.factories.conversations import ContactFactory, InboxFactory

Status = Conversation.Status


def pending(inbox, agent) -> Conversation:
    """A customer wrote, the agent answered and set the conversation pending on the customer, now."""
    conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
    services.message_post_reply(conversation=conversation, agent=agent, body="Does this help?")
    services.conversation_mark_pending(conversation=conversation, actor=agent)
    return conversation


@pytest.fixture
def inbox(db):
    return InboxFactory(name="Web", auto_resolve_after=timedelta(days=3))


def test_a_conversation_pending_longer_than_the_inbox_allows_resolves_with_a_closing_message(
    inbox, agent, listen, django_capture_on_commit_callbacks, clock
):
    stale = pending(inbox, agent)
    clock.advance(days=2)
    fresh = pending(inbox, agent)
    customer = listen(events.contact_group(stale.contact_id, inbox.pk))

    clock.advance(days=1, seconds=-1)  # the inbox allows three days: one second to go
    assert auto_resolve_pending_conversations() == 0
    resolved_at = clock.advance(seconds=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert auto_resolve_pending_conversations() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == (Status.RESOLVED, Status.PENDING)
    assert stale.resolved_at == resolved_at
    closing = stale.messages.get(seq=stale.last_seq)
    assert (closing.sender_kind, closing.is_private) == (Message.SenderKind.BOT, False)
    assert closing.body == inbox.auto_resolve_message
    heard = {event["type"] for event in customer.receive_all()}
    assert {"message.created", "conversation.status_changed"} <= heard

    messages_before = Message.objects.count()
    assert services.conversations_auto_resolve_pending() == 0  # a re-run changes nothing
    assert Message.objects.count() == messages_before


def test_a_closing_message_goes_through_the_outbox_only_where_the_channel_allows_it(db, agent, clock):
    sms = InboxFactory(name="SMS", channel_type="sms", auto_resolve_after=timedelta(hours=1))
    whatsapp = InboxFactory(name="WA", channel_type="whatsapp", auto_resolve_after=timedelta(hours=1))
    late_whatsapp = InboxFactory(
        name="WA late", channel_type="whatsapp", auto_resolve_after=timedelta(hours=25)
    )
    by_sms, by_whatsapp, late = pending(sms, agent), pending(whatsapp, agent), pending(late_whatsapp, agent)
    clock.advance(hours=1, seconds=1)  # WhatsApp's 24-hour window is open: a closing word may go
    assert services.conversations_auto_resolve_pending() == 2
    clock.advance(hours=24)  # past the window: resolved without a word (only templates may go now)
    assert services.conversations_auto_resolve_pending() == 1

    for conversation in (by_sms, by_whatsapp):
        conversation.refresh_from_db()
        closing = conversation.messages.get(seq=conversation.last_seq)
        assert closing.sender_kind == Message.SenderKind.BOT
        assert closing.delivery_status == Message.DeliveryStatus.PENDING
        assert OutboundDelivery.objects.filter(message=closing).exists()
    late.refresh_from_db()
    assert late.status == Status.RESOLVED
    assert not late.messages.filter(sender_kind=Message.SenderKind.BOT).exists()


def test_an_inbox_without_auto_resolve_keeps_its_pending_conversations(db, agent, clock):
    never = InboxFactory(name="Never")
    conversation = pending(never, agent)
    clock.advance(days=90)
    assert services.conversations_auto_resolve_pending() == 0
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING


def test_it_works_in_bounded_batches(inbox, agent, clock):
    for _ in range(5):
        pending(inbox, agent)
    clock.advance(days=3, seconds=1)
    assert [services.conversations_auto_resolve_pending(batch_size=2) for _ in range(4)] == [2, 2, 1, 0]
