"""Email to customers: a chat's transcript, and the notice of replies they have not read."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from conversations import services
from conversations.models import Conversation, LiveSession
from conversations.tasks import notify_contact_of_replies
from tests.factories.conversations import ContactFactory, InboxFactory


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("connection refused")


def test_the_transcript_holds_what_the_customer_saw_of_the_latest_session(db, agent):
    inbox = InboxFactory(name="Acme live", mode="live")
    contact = ContactFactory(email="kim@example.com")
    first = services.message_receive(inbox=inbox, contact=contact, body="Old question").conversation
    services.live_session_end(conversation=first, reason=LiveSession.CloseReason.CUSTOMER_LEFT)
    LiveSession.objects.filter(conversation=first).update(opened_at=first.created_at - timedelta(hours=1))
    conversation = services.message_receive(
        inbox=inbox, contact=contact, body="Is <b>this</b> in stock?"
    ).conversation
    services.message_post_reply(conversation=conversation, agent=agent, body="Yes, ships today.")
    services.message_post_reply(conversation=conversation, agent=agent, body="VIP customer", is_private=True)
    services.message_post_reply(
        conversation=conversation,
        agent=agent,
        body="The spec sheet.",
        attachments=[
            services.AttachmentInput(mime_type="application/pdf", remote_url="https://cdn.example/s.pdf")
        ],
    )

    assert services.transcript_send(conversation_id=conversation.pk, to="kim@example.com") == 3

    [email] = mail.outbox
    assert email.to == ["kim@example.com"]
    assert email.subject == "Your conversation with Acme live"
    assert "You:\nIs <b>this</b> in stock?" in email.body  # plain text, not HTML-escaped
    assert "Ana:\nYes, ships today." in email.body
    assert "The spec sheet.\n  Attachment: https://cdn.example/s.pdf" in email.body
    assert "Old question" not in email.body  # an earlier session is not this transcript
    assert "VIP customer" not in email.body


@pytest.fixture
def replied(inbox, agent):
    contact = ContactFactory(email="lee@example.com")
    conversation = services.message_receive(inbox=inbox, contact=contact, body="Hi").conversation
    services.message_post_reply(conversation=conversation, agent=agent, body="Hello Lee!")
    services.message_post_reply(conversation=conversation, agent=agent, body="Note to self", is_private=True)
    services.message_post_reply(conversation=conversation, agent=agent, body="Your refund is done.")
    return conversation


def test_unread_replies_are_emailed_once(replied):
    assert notify_contact_of_replies(replied.pk) == 2
    assert notify_contact_of_replies(replied.pk) == 0  # a second run (a redelivered task) tells nothing new

    [email] = mail.outbox
    assert email.to == ["lee@example.com"]
    assert "Hello Lee!" in email.body and "Your refund is done." in email.body
    assert "Note to self" not in email.body


def test_replies_the_customer_has_read_are_not_emailed(replied):
    services.conversation_mark_read_by_contact(conversation=replied, up_to_seq=replied.last_seq)
    assert notify_contact_of_replies(replied.pk) == 0
    assert mail.outbox == []


def test_a_customer_without_an_email_gets_nothing(replied):
    replied.contact.email = ""
    replied.contact.save()
    assert notify_contact_of_replies(replied.pk) == 0
    assert mail.outbox == []


def test_a_failed_send_is_retried_later_with_the_same_replies(replied, settings):
    settings.EMAIL_BACKEND = "tests.conversations.test_notices.RefusingBackend"
    with pytest.raises(ConnectionRefusedError):
        services.contact_notify_of_replies(conversation_id=replied.pk)
    assert Conversation.objects.get(pk=replied.pk).contact_notified_seq == 0

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.contact_notify_of_replies(conversation_id=replied.pk) == 2


def test_a_widget_reply_schedules_the_notice_after_the_delay_and_a_note_does_not(
    inbox, agent, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PARLEY_REPLY_NOTICE_DELAY = timedelta(seconds=90)
    scheduled = []
    monkeypatch.setattr(
        notify_contact_of_replies, "apply_async", lambda args, countdown: scheduled.append((args, countdown))
    )
    conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post_reply(conversation=conversation, agent=agent, body="A note", is_private=True)
        services.message_post_reply(conversation=conversation, agent=agent, body="A reply")
    assert scheduled == [((conversation.pk,), 90.0)]
