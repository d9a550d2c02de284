"""Twilio webhooks through the real URL, signed as Twilio signs them (fixture vectors computed by
Twilio's own RequestValidator): what is Twilio's own. Signatures, replays and the order of status
callbacks are the adapter contract's (test_adapter_contract.py, entry "twilio-sms")."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from channels_in.models import WebhookReceipt
from channels_in.receipts import receipts_apply_pending
from conversations import services
from conversations.models import Message
from tests.channels.conftest import TWILIO, twilio_vector
from tests.channels.worker import applied
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.fixtures import fixture_bytes

FORM = "application/x-www-form-urlencoded"
SMS_SID = "SM8f2b6c6a1b7e4a0b9d6c3e2f1a0b9c8d"


def post_fixture(client, file: str, signature: str | None = None, url: str | None = None):
    vector = twilio_vector(file)
    target = urlsplit(url or vector["url"])
    path = target.path + (f"?{target.query}" if target.query else "")
    return applied(
        client.post(
            path,
            data=fixture_bytes(f"twilio/{file}"),
            content_type=FORM,
            HTTP_X_TWILIO_SIGNATURE=vector["X-Twilio-Signature"] if signature is None else signature,
        )
    )


def test_the_url_with_its_query_string_is_what_twilio_signed(client, twilio_inbox):
    vector = next(v for v in TWILIO["vectors"] if "?region=us1" in v["url"])
    response = post_fixture(
        client, "inbound_sms.form", signature=vector["X-Twilio-Signature"], url=vector["url"]
    )
    assert response.status_code == 200


def test_an_sms_becomes_a_message_from_a_contact_known_by_their_number(client, twilio_inbox):
    post_fixture(client, "inbound_sms.form")

    message = Message.objects.select_related("conversation__contact").get()
    assert message.body == "Hi, my order #1042 hasn't arrived yet 😕 can you check?"
    assert message.provider_message_id == SMS_SID
    contact = message.conversation.contact
    assert contact.phone == "+14155550199"
    assert contact.identities.get().source_id == "+14155550199"


def test_an_mms_keeps_its_media_for_download(client, twilio_inbox):
    post_fixture(client, "inbound_mms.form")

    attachment = Message.objects.get().attachments.get()
    assert attachment.mime_type == "image/jpeg"
    assert attachment.remote_url.startswith("https://api.twilio.com/2010-04-01/Accounts/")
    assert not attachment.file


def test_an_unknown_inbox_key_is_404(client, twilio_inbox):
    url = "https://desk.example.com/hooks/twilio/nope/"
    assert post_fixture(client, "inbound_sms.form", url=url).status_code == 404


@pytest.fixture
def sent_reply(twilio_inbox):
    """A reply Twilio accepted as the fixtures' SMc0ffee… message."""
    conversation = services.message_receive(
        inbox=twilio_inbox,
        contact=services.contact_identify(inbox=twilio_inbox, source_id="+14155550199"),
        body="where is my order?",
    ).conversation
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=twilio_inbox, agent=agent)
    reply = services.message_post_reply(conversation=conversation, agent=agent, body="Today!")
    Message.objects.filter(pk=reply.pk).update(provider_message_id="SMc0ffee0c0ffee0c0ffee0c0ffee0c0ff")
    return reply


def test_a_status_that_beats_the_sends_answer_waits_for_its_message(client, twilio_inbox, sent_reply):
    Message.objects.filter(pk=sent_reply.pk).update(provider_message_id=None)

    assert post_fixture(client, "status_delivered.form").status_code == 200  # stored, not lost
    receipt = WebhookReceipt.objects.get()
    assert receipt.processed_at is None and "No message" in receipt.last_error

    Message.objects.filter(pk=sent_reply.pk).update(provider_message_id="SMc0ffee0c0ffee0c0ffee0c0ffee0c0ff")
    assert receipts_apply_pending(older_than=timedelta(0)) == 1
    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == Message.DeliveryStatus.DELIVERED
