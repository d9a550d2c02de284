"""Outbound to Telegram against the local fake Bot API: the delivery task is called directly and
its effects asserted (no eager Celery). What a send carries and files both ways are here; accepted
once, refusals, retries and lost answers are the adapter contract's (test_adapter_contract.py)."""

import pytest
from django.core.files.base import ContentFile

from channels_in.media import attachment_download
from conversations import services
from conversations.models import Attachment
from conversations.tasks import deliver_message
from tests.channels.conftest import TELEGRAM_SECRET
from tests.channels.worker import applied
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.fixtures import fixture_bytes

CHAT_ID = "111222333"
BOT_TOKEN = "7000000001:AAparley-test-bot-token_0123456789"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
OGG = b"OggS\x00\x02" + b"\x00" * 64


@pytest.fixture
def reply(telegram_inbox):
    contact = services.contact_identify(inbox=telegram_inbox, source_id=CHAT_ID, name="Ana Silva")
    conversation = services.message_receive(inbox=telegram_inbox, contact=contact, body="Olá!").conversation
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=telegram_inbox, agent=agent)
    return services.message_post_reply(
        conversation=conversation, agent=agent, body="Oi Ana! Vou verificar sua assinatura agora."
    )


def test_a_text_goes_to_the_chat_by_send_message(fake_provider, reply):
    deliver_message(reply.pk)

    (send,) = fake_provider.sends("telegram")
    assert send["raw"]["path"] == f"/bot{BOT_TOKEN}/sendMessage"
    assert send["raw"]["json"] == {"chat_id": CHAT_ID, "text": "Oi Ana! Vou verificar sua assinatura agora."}


def test_a_photo_goes_by_url_with_the_text_as_caption(fake_provider, reply):
    Attachment.objects.create(
        message=reply, remote_url="https://cdn.example.com/screen.png", mime_type="image/png"
    )

    deliver_message(reply.pk)

    (send,) = fake_provider.sends("telegram")
    assert send["raw"]["path"].endswith("/sendPhoto")
    assert send["raw"]["json"] == {
        "chat_id": CHAT_ID,
        "caption": "Oi Ana! Vou verificar sua assinatura agora.",
        "photo": "https://cdn.example.com/screen.png",
    }
    reply.refresh_from_db()
    assert reply.provider_message_id == f"{CHAT_ID}:{send['id']}"


def test_a_pdf_goes_by_url_and_a_stored_voice_note_is_uploaded(fake_provider, reply, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    Attachment.objects.create(
        message=reply, remote_url="https://cdn.example.com/invoice.pdf", mime_type="application/pdf"
    )
    voice = Attachment(message=reply, mime_type="audio/ogg", file_name="note.ogg")
    voice.file.save("note.ogg", ContentFile(OGG), save=True)

    deliver_message(reply.pk)

    pdf, upload = fake_provider.sends("telegram")
    assert (pdf["type"], pdf["media"], pdf["body"]) == (
        "document",
        ["https://cdn.example.com/invoice.pdf"],
        "Oi Ana! Vou verificar sua assinatura agora.",
    )
    assert (upload["type"], upload["media"], upload["body"]) == ("document", ["upload:note.ogg"], "")
    assert upload["raw"]["files"][0]["size"] == len(OGG)


def test_an_inbound_photo_is_fetched_through_get_file(
    fake_provider, telegram_inbox, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    fake_provider.add_media("AgACAgQAAxkBAAIBXmVhc2Rm_large", JPEG, "image/jpeg")
    applied(
        client.post(
            "/hooks/telegram/tg-main/",
            data=fixture_bytes("telegram/update_photo.json"),
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        )
    )
    attachment = Attachment.objects.get()

    attachment_download(attachment.pk)

    attachment.refresh_from_db()
    assert attachment.file and attachment.file.read() == JPEG
    paths = [request["path"] for request in fake_provider.requests("telegram")]
    assert paths == [f"/bot{BOT_TOKEN}/getFile", f"/file/bot{BOT_TOKEN}/photos/file_1.jpg"]
