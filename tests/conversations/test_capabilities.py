"""What a channel allows is enforced by the services, not only shown by the composer."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conversations import services
from conversations.capabilities import reply_window_closes_at
from conversations.models import Message
from tests.factories.conversations import ContactFactory, InboxFactory


def test_a_whatsapp_reply_outside_the_24_hour_window_is_refused_but_a_note_is_not(db, agent):
    inbox = InboxFactory(name="WhatsApp", channel_type="whatsapp")
    conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
    assert reply_window_closes_at(conversation) > timezone.now() + timedelta(hours=23)
    services.message_post_reply(conversation=conversation, agent=agent, body="Within the window")

    Message.objects.filter(conversation=conversation, sender_kind="contact").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    with pytest.raises(ValidationError, match="approved template"):
        services.message_post_reply(conversation=conversation, agent=agent, body="Too late")
    services.message_post_reply(conversation=conversation, agent=agent, body="A note", is_private=True)
    assert not Message.objects.filter(body="Too late").exists()


def test_an_sms_reply_longer_than_the_provider_takes_is_refused(db, agent, sms_inbox):
    conversation = services.message_receive(inbox=sms_inbox, contact=ContactFactory(), body="Hi").conversation
    with pytest.raises(ValidationError, match="at most 1600 characters"):
        services.message_post_reply(conversation=conversation, agent=agent, body="x" * 1601)


def test_the_widget_has_no_window(db, inbox, contact):
    conversation = services.message_receive(inbox=inbox, contact=contact, body="Hi").conversation
    assert reply_window_closes_at(conversation) is None
