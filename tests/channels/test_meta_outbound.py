"""Outbound to Meta (WhatsApp Cloud API, Messenger, Instagram) against the local fake Graph: the
delivery task is called directly and its effects asserted (no eager Celery), the fake records
every call and answers, refuses or hangs as scripted. What a send carries, templates, files and
Messenger's reply windows are here; accepted once, refusals, retries and lost answers are the
adapter contract's (test_adapter_contract.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_in.adapters.base import PermanentDeliveryError, TransientDeliveryError
from channels_in.adapters.content import send_parts
from channels_in.adapters.meta_whatsapp import WhatsAppAdapter, sync_templates
from channels_in.media import attachment_download
from conversations.models import Attachment, Message
from conversations.tasks import deliver_message
from tests.channels.conftest import meta_vector, reply_to
from tests.channels.worker import applied
from tests.fixtures import fixture_bytes

Status = Message.DeliveryStatus
WA_ID = "16505551234"
PSID = "6789012345678901"
IGSID = "5566778899001122"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64


def customer_last_wrote(message: Message, ago: timedelta) -> None:
    Message.objects.filter(conversation=message.conversation, sender_kind=Message.SenderKind.CONTACT).update(
        created_at=timezone.now() - ago
    )


def sent_json(fake, provider: str, index: int = 0) -> dict:
    return fake.sends(provider)[index]["raw"]["json"]


# --- WhatsApp ---


@pytest.fixture
def whatsapp_reply(whatsapp_inbox):
    return reply_to(whatsapp_inbox, WA_ID)


def test_a_whatsapp_reply_is_a_text_with_our_callback_data_and_the_token(fake_provider, whatsapp_reply):
    deliver_message(whatsapp_reply.pk)

    (send,) = fake_provider.sends("whatsapp")
    payload = send["raw"]["json"]
    assert (payload["to"], payload["type"], payload["text"]["body"]) == (
        WA_ID,
        "text",
        "Your order ships today.",
    )
    assert payload["biz_opaque_callback_data"] == f"parley:{whatsapp_reply.pk}"
    assert send["raw"]["headers"]["authorization"] == "Bearer parley-test-graph-token"
    assert send["raw"]["path"] == "/v21.0/106540352242922/messages"


def test_a_file_goes_by_link_with_the_text_as_its_caption(fake_provider, whatsapp_reply):
    Attachment.objects.create(
        message=whatsapp_reply, remote_url="https://cdn.example.com/parcel.jpg", mime_type="image/jpeg"
    )

    deliver_message(whatsapp_reply.pk)

    (send,) = fake_provider.sends("whatsapp")
    assert send["raw"]["json"]["image"] == {
        "link": "https://cdn.example.com/parcel.jpg",
        "caption": "Your order ships today.",
    }


def test_a_template_is_sent_with_its_parameters(fake_provider, whatsapp_reply):
    receipt = WhatsAppAdapter().send_template(whatsapp_reply, "order_update", "en_US", ["Sheena", "#1042"])

    (send,) = fake_provider.sends("whatsapp")
    assert receipt.provider_message_id == send["id"]
    assert send["body"] == "Hello Sheena, your order #1042 has shipped."
    assert send["raw"]["json"]["biz_opaque_callback_data"] == f"parley:{whatsapp_reply.pk}"


def test_an_unknown_template_is_refused_in_words(fake_provider, whatsapp_reply):
    with pytest.raises(PermanentDeliveryError) as refused:
        WhatsAppAdapter().send_template(whatsapp_reply, "no_such_template", "en_US")
    assert refused.value.code == "132001"
    assert "not approved" in refused.value.reason


def test_templates_are_synced_from_the_business_account(fake_provider, whatsapp_inbox):
    templates = sync_templates(whatsapp_inbox)

    by_name = {template["name"]: template for template in templates}
    assert set(by_name) == {"hello_world", "conversation_followup", "order_update"}
    assert by_name["order_update"]["body"] == "Hello {{1}}, your order {{2}} has shipped."
    assert by_name["order_update"]["status"] == "APPROVED"
    assert fake_provider.requests("whatsapp")[0]["path"] == "/v21.0/102290129340398/message_templates"


def test_an_inbound_image_is_fetched_by_media_id_with_the_token(
    fake_provider, whatsapp_inbox, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    fake_provider.add_media("1003383421387256", JPEG, "image/jpeg")
    applied(
        client.post(
            "/hooks/whatsapp/wa-main/",
            data=fixture_bytes("meta/whatsapp_image.json"),
            content_type="application/json",
            headers={"X-Hub-Signature-256": meta_vector("whatsapp_image.json")},
        )
    )
    attachment = Attachment.objects.get()

    attachment_download(attachment.pk)

    attachment.refresh_from_db()
    assert attachment.file and attachment.file.read() == JPEG
    assert attachment.mime_type == "image/jpeg"


# --- Messenger and Instagram ---


@pytest.fixture
def messenger_reply(messenger_inbox):
    return reply_to(messenger_inbox, PSID)


def test_a_messenger_reply_inside_the_window_is_a_response(fake_provider, messenger_reply):
    deliver_message(messenger_reply.pk)

    (send,) = fake_provider.sends("messenger")
    payload = send["raw"]["json"]
    assert payload == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Your order ships today."},
    }
    assert send["raw"]["path"] == "/v21.0/me/messages"


def test_an_agents_reply_at_25_hours_carries_the_human_agent_tag(fake_provider, messenger_reply):
    fake_provider.behave(outside_window=[PSID])  # the fake refuses anything untagged now
    customer_last_wrote(messenger_reply, timedelta(hours=25))

    deliver_message(messenger_reply.pk)

    messenger_reply.refresh_from_db()
    assert messenger_reply.delivery_status == Status.SENT
    payload = sent_json(fake_provider, "messenger")
    assert (payload["messaging_type"], payload["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_an_automatic_message_at_25_hours_is_refused_before_any_call(
    fake_provider, messenger_reply, no_requeue
):
    Message.objects.filter(pk=messenger_reply.pk).update(
        sender_kind=Message.SenderKind.BOT, sender_agent=None
    )
    customer_last_wrote(messenger_reply, timedelta(hours=25))

    deliver_message(messenger_reply.pk)

    messenger_reply.refresh_from_db()
    assert fake_provider.requests("messenger") == []
    assert (messenger_reply.delivery_status, messenger_reply.provider_error_code) == (
        Status.FAILED,
        "outside_window",
    )
    assert "not an automatic message" in messenger_reply.provider_error


def test_after_seven_days_even_an_agents_reply_is_refused_before_any_call(fake_provider, messenger_reply):
    customer_last_wrote(messenger_reply, timedelta(days=7, minutes=1))

    deliver_message(messenger_reply.pk)

    messenger_reply.refresh_from_db()
    assert fake_provider.requests("messenger") == []
    assert messenger_reply.delivery_status == Status.FAILED
    assert "more than 7 days ago" in messenger_reply.provider_error


def test_a_file_and_text_go_as_two_messenger_messages_file_first(fake_provider, messenger_reply):
    Attachment.objects.create(
        message=messenger_reply, remote_url="https://cdn.example.com/label.pdf", mime_type="application/pdf"
    )

    deliver_message(messenger_reply.pk)

    file_send, text_send = fake_provider.sends("messenger")
    assert file_send["raw"]["json"]["message"]["attachment"] == {
        "type": "file",
        "payload": {"url": "https://cdn.example.com/label.pdf", "is_reusable": False},
    }
    assert text_send["raw"]["json"]["message"] == {"text": "Your order ships today."}
    messenger_reply.refresh_from_db()
    assert messenger_reply.provider_message_id == text_send["id"]


def test_an_instagram_reply_goes_through_the_messenger_platform(fake_provider, instagram_inbox):
    reply = reply_to(instagram_inbox, IGSID, body="Yes, we ship to Canada.")

    deliver_message(reply.pk)

    (send,) = fake_provider.sends("messenger")
    assert send["raw"]["json"]["recipient"] == {"id": IGSID}


def test_a_refusal_after_part_of_a_message_was_accepted_fails_it_saying_so():
    def refused() -> str:
        raise TransientDeliveryError("Meta answered 500.", code="1")

    with pytest.raises(PermanentDeliveryError) as failed:
        send_parts([lambda: "m_file", refused])

    assert failed.value.code == "partly_sent"
    assert failed.value.reason.startswith(
        "Only part of the message was sent (1 of 2 parts): Meta answered 500."
    )
    assert send_parts([lambda: "m_file", lambda: "m_text"]).provider_message_id == "m_text"
