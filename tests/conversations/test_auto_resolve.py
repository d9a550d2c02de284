"""Conversations pending on the customer resolve themselves after the inbox's time, with a word to
the customer where the channel allows one; set-based, and a re-run changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import events, services
from conversations.models import Conversation, Message, OutboundDelivery
from conversations.tasks import auto_resolve_pending_conversations
from tests.factories.conversations import ContactFactory, InboxFactory

Status = Conversation.Status


def pending_since(inbox, agent, days: float) -> Conversation:
    conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
    services.message_post_reply(conversation=conversation, agent=agent, body="Does this help?")
    services.conversation_mark_pending(conversation=conversation, actor=agent)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_activity_at=timezone.now() - timedelta(days=days)
    )
    return conversation


@pytest.fixture
def inbox(db):
    return InboxFactory(name="Web", auto_resolve_after=timedelta(days=3))


def test_a_conversation_pending_longer_than_the_inbox_allows_resolves_with_a_closing_message(
    inbox, agent, listen, django_capture_on_commit_callbacks
):
    stale, fresh = pending_since(inbox, agent, 4), pending_since(inbox, agent, 1)
    customer = listen(events.contact_group(stale.contact_id, inbox.pk))
    with django_capture_on_commit_callbacks(execute=True):
        assert auto_resolve_pending_conversations() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == (Status.RESOLVED, Status.PENDING)
    closing = stale.messages.get(seq=stale.last_seq)
    assert (closing.sender_kind, closing.is_private) == (Message.SenderKind.BOT, False)
    assert closing.body == inbox.auto_resolve_message
    heard = {event["type"] for event in customer.receive_all()}
    assert {"message.created", "conversation.status_changed"} <= heard

    messages_before = Message.objects.count()
    assert services.conversations_auto_resolve_pending() == 0  # a re-run changes nothing
    assert Message.objects.count() == messages_before


def test_an_sms_closing_message_goes_through_the_outbox_and_whatsapp_gets_none(db, agent):
    sms = InboxFactory(name="SMS", channel_type="sms", auto_resolve_after=timedelta(days=1))
    whatsapp = InboxFactory(name="WA", channel_type="whatsapp", auto_resolve_after=timedelta(days=1))
    by_sms, by_whatsapp = pending_since(sms, agent, 2), pending_since(whatsapp, agent, 2)
    Message.objects.filter(conversation=by_whatsapp).update(created_at=timezone.now() - timedelta(hours=1))
    assert services.conversations_auto_resolve_pending() == 2

    by_sms.refresh_from_db()
    closing = by_sms.messages.get(seq=by_sms.last_seq)
    assert closing.delivery_status == Message.DeliveryStatus.PENDING
    assert OutboundDelivery.objects.filter(message=closing).exists()
    by_whatsapp.refresh_from_db()
    assert by_whatsapp.status == Status.RESOLVED
    assert not by_whatsapp.messages.filter(sender_kind=Message.SenderKind.BOT).exists()


def test_an_inbox_without_auto_resolve_keeps_its_pending_conversations(db, agent):
    never = InboxFactory(name="Never")
    conversation = pending_since(never, agent, 90)
    assert services.conversations_auto_resolve_pending() == 0
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING


def test_it_works_in_bounded_batches(inbox, agent):
    for _ in range(5):
        pending_since(inbox, agent, 5)
    assert [services.conversations_auto_resolve_pending(batch_size=2) for _ in range(4)] == [2, 2, 1, 0]
