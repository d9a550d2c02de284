"""Invariant 3: a replayed client id or provider id returns the stored message and creates nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations import services
from conversations.models import Conversation, Message, OutboundDelivery
from tests.factories.conversations import ContactFactory, ConversationFactory


def test_replayed_client_id_returns_the_stored_message(inbox, contact):
    first = services.message_receive(inbox=inbox, contact=contact, body="hello", client_message_id="cid-1")
    again = services.message_receive(inbox=inbox, contact=contact, body="hello", client_message_id="cid-1")

    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert Conversation.objects.get().last_seq == 1


def test_replayed_provider_webhook_creates_nothing(sms_inbox):
    contact = services.contact_identify(inbox=sms_inbox, source_id="+14155550123")
    sid = "SM8a4b1c2d3e4f5a6b7c8d9e0f1a2b3c4d"
    first = services.message_receive(
        inbox=sms_inbox, contact=contact, body="Is my order shipped?", provider_message_id=sid
    )
    for _ in range(3):
        replay = services.message_receive(
            inbox=sms_inbox, contact=contact, body="Is my order shipped?", provider_message_id=sid
        )
        assert replay.pk == first.pk
    assert Message.objects.count() == 1


def test_same_client_id_on_another_inbox_is_a_different_message(inbox, sms_inbox, contact):
    services.message_receive(inbox=inbox, contact=contact, body="a", client_message_id="cid-1")
    services.message_receive(inbox=sms_inbox, contact=contact, body="b", client_message_id="cid-1")
    assert Message.objects.count() == 2


def test_replayed_agent_send_creates_no_second_outbound_delivery(sms_inbox, agent):
    conversation = ConversationFactory(inbox=sms_inbox)
    first = services.message_post_reply(
        conversation=conversation, agent=agent, body="On its way!", client_message_id="k1"
    )
    again = services.message_post_reply(
        conversation=conversation, agent=agent, body="On its way!", client_message_id="k1"
    )
    assert again.pk == first.pk
    assert OutboundDelivery.objects.count() == 1


@pytest.mark.parametrize("field", ["client_message_id", "provider_message_id"])
def test_the_database_itself_refuses_a_duplicate_id_per_inbox(conversation, field):
    """Uniqueness is a constraint, not only a check in code: a raw insert that bypasses the
    services is refused too."""
    common = {
        "conversation": conversation,
        "inbox": conversation.inbox,
        "sender_kind": "contact",
        "body": "x",
        "created_at": timezone.now(),
        field: "dup-1",
    }
    Message.objects.create(seq=1, **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(seq=2, **common)


def test_the_database_refuses_a_repeated_seq(conversation):
    common = {
        "conversation": conversation,
        "inbox": conversation.inbox,
        "sender_kind": "contact",
        "body": "x",
        "created_at": timezone.now(),
    }
    Message.objects.create(seq=1, **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(seq=1, **common)


def test_a_message_cannot_be_posted_into_another_contacts_conversation(inbox):
    someone_else = ConversationFactory(inbox=inbox, contact=ContactFactory())
    intruder = ContactFactory()
    with pytest.raises(Exception, match="another contact"):
        services.message_receive(inbox=inbox, contact=intruder, conversation_id=someone_else.pk, body="hi")
    assert someone_else.messages.count() == 0


def test_empty_ids_count_as_absent(inbox, contact):
    services.message_receive(
        inbox=inbox, contact=contact, body="a", client_message_id="", provider_message_id=""
    )
    services.message_receive(
        inbox=inbox, contact=contact, body="b", client_message_id="", provider_message_id=""
    )
    assert list(Message.objects.values_list("client_message_id", "provider_message_id")) == [(None, None)] * 2


def test_a_client_id_reused_by_another_contact_is_refused_not_answered(inbox, contact):
    services.message_receive(inbox=inbox, contact=contact, body="my card ends 4242", client_message_id="1")
    stranger = ContactFactory()
    with pytest.raises(ValidationError, match="already in use"):
        services.message_receive(inbox=inbox, contact=stranger, body="hi", client_message_id="1")
    assert Message.objects.count() == 1


def test_an_agent_client_id_reused_on_another_conversation_is_refused(inbox, agent):
    first, second = ConversationFactory(inbox=inbox), ConversationFactory(inbox=inbox)
    services.message_post_reply(conversation=first, agent=agent, body="a", client_message_id="k")
    with pytest.raises(ValidationError, match="already in use"):
        services.message_post_reply(conversation=second, agent=agent, body="b", client_message_id="k")
