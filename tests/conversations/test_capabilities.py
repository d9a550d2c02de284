"""What a channel allows is enforced by the services, not only shown by the composer."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conversations import services
from conversations.capabilities import MB, OutgoingFile, reply_window_closes_at, send_refusal
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


def _conversation_last_written(channel_type: str, clock, ago: timedelta):
    inbox = InboxFactory(name=channel_type, channel_type=channel_type)
    conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
    clock.advance(seconds=ago.total_seconds())
    return conversation


@pytest.mark.parametrize(
    ("ago", "by_person", "allowed"),
    [
        (timedelta(hours=23, minutes=59, seconds=59), False, True),
        (timedelta(hours=24), False, False),  # automation never uses the human-agent window
        (timedelta(hours=24), True, True),  # a person may answer for seven days (HUMAN_AGENT tag)
        (timedelta(days=7) - timedelta(seconds=1), True, True),
        (timedelta(days=7), True, False),
    ],
)
def test_messenger_gives_a_person_seven_days_and_automation_twenty_four_hours(
    db, clock, ago, by_person, allowed
):
    conversation = _conversation_last_written("messenger", clock, ago)
    refusal = send_refusal(conversation, body="Hello", by_person=by_person)
    assert (refusal is None) is allowed


@pytest.mark.parametrize(
    ("ago", "template", "allowed"),
    [
        (timedelta(hours=24) - timedelta(seconds=1), False, True),
        (timedelta(hours=24, seconds=1), False, False),
        (timedelta(hours=24, seconds=1), True, True),  # an approved template goes at any time
    ],
)
def test_whatsapp_allows_free_text_for_24_hours_and_templates_always(db, clock, ago, template, allowed):
    conversation = _conversation_last_written("whatsapp", clock, ago)
    refusal = send_refusal(conversation, body="Hello", by_person=True, template=template)
    assert (refusal is None) is allowed


@pytest.mark.parametrize(
    ("channel_type", "file", "reason"),
    [
        ("sms", OutgoingFile("image/png", 5 * MB), None),
        ("sms", OutgoingFile("image/png", 5 * MB + 1), "at most 5 MB"),
        ("sms", OutgoingFile("video/mp4", 1000), "does not take video/mp4"),
        ("whatsapp", OutgoingFile("application/pdf", 100 * MB), None),
        ("instagram", OutgoingFile("application/pdf", 1000), "does not take application/pdf"),
        ("telegram", OutgoingFile("image/jpeg", 5 * MB + 1), "at most 5 MB"),
    ],
)
def test_media_types_and_sizes_are_the_providers_own(db, clock, channel_type, file, reason):
    conversation = _conversation_last_written(channel_type, clock, timedelta(minutes=1))
    refusal = send_refusal(conversation, body="", files=[file], by_person=True)
    assert refusal is None if reason is None else reason in refusal


def test_an_attachment_the_channel_refuses_is_refused_before_anything_is_stored(db, agent, sms_inbox):
    conversation = services.message_receive(inbox=sms_inbox, contact=ContactFactory(), body="Hi").conversation
    webp = services.AttachmentInput(mime_type="image/webp", file_name="a.webp", content=b"RIFF0000WEBP")
    with pytest.raises(ValidationError, match="does not take image/webp"):
        services.message_post_reply(conversation=conversation, agent=agent, body="pic", attachments=[webp])
    assert not Message.objects.filter(body="pic").exists()
