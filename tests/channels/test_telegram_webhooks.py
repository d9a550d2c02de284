"""Telegram webhooks through the real URL, with the secret token Telegram echoes in
X-Telegram-Bot-Api-Secret-Token: stored per chat and message id, and what a chat sends beyond a
plain message. The secret's check and replays are the adapter contract's (test_adapter_contract.py)."""

import json

from channels_in.models import WebhookReceipt
from conversations.models import Message
from tests.channels.conftest import TELEGRAM_SECRET
from tests.channels.worker import applied
from tests.fixtures import fixture_bytes, fixture_json

HOOK = "/hooks/telegram/tg-main/"
CHAT_ID = "111222333"


def post_update(client, file: str = "", *, update: dict | None = None):
    body = fixture_bytes(f"telegram/{file}") if update is None else json.dumps(update).encode()
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    return applied(client.post(HOOK, data=body, content_type="application/json", headers=headers))


def text_update(**changes) -> dict:
    update = fixture_json("telegram/update_text.json")
    update["message"].update(changes)
    return update


def test_a_text_comes_from_the_chat_with_the_customers_name(client, telegram_inbox):
    post_update(client, "update_text.json")

    message = Message.objects.select_related("conversation__contact").get()
    assert message.body == "Olá! Preciso de ajuda com minha assinatura"
    assert message.provider_message_id == f"{CHAT_ID}:1365"
    assert message.conversation.contact.name == "Ana Silva"
    assert message.conversation.contact.identities.get().source_id == CHAT_ID


def test_a_photo_keeps_its_largest_sizes_file_id_and_its_caption(client, telegram_inbox):
    post_update(client, "update_photo.json")

    message = Message.objects.get()
    attachment = message.attachments.get()
    assert message.body == "erro na tela"
    assert (attachment.remote_url, attachment.mime_type) == ("AgACAgQAAxkBAAIBXmVhc2Rm_large", "image/jpeg")


def test_a_sticker_is_a_webp_image_to_download(client, telegram_inbox):
    post_update(client, "update_sticker.json")

    attachment = Message.objects.get().attachments.get()
    assert (attachment.remote_url, attachment.mime_type) == ("CAACAgIAAxkBAAIBX2Vhc2Rm", "image/webp")


def test_telegram_has_no_get_handshake(client, telegram_inbox):
    assert client.get(HOOK, {"hub.mode": "subscribe", "hub.challenge": "1"}).status_code == 403


def test_message_ids_are_per_chat(client, telegram_inbox):
    other_chat = text_update(chat={"id": 444555666, "first_name": "Bea", "type": "private"})
    other_chat["message"]["from"]["id"] = 444555666

    post_update(client, "update_text.json")
    post_update(client, update=other_chat)

    assert sorted(Message.objects.values_list("provider_message_id", flat=True)) == [
        f"{CHAT_ID}:1365",
        "444555666:1365",
    ]


def test_an_edit_becomes_a_new_message_quoting_what_the_agent_saw(client, telegram_inbox):
    post_update(client, "update_text.json")
    edited = fixture_json("telegram/update_text.json")
    edited["update_id"] += 10
    edited["edited_message"] = {
        **edited.pop("message"),
        "text": "Preciso de ajuda com a fatura",
        "edit_date": 1795103830,
    }

    for _ in range(2):  # a replayed edit is one edit
        assert post_update(client, update=edited).status_code == 200

    edit = Message.objects.get(provider_message_id=f"{CHAT_ID}:1365:edited:1795103830")
    assert edit.body == (
        "Edited their message “Olá! Preciso de ajuda com minha assinatura” to: Preciso de ajuda com a fatura"
    )
    assert Message.objects.count() == 2


def test_a_location_reads_with_a_map_link(client, telegram_inbox):
    update = text_update(location={"latitude": -23.5505, "longitude": -46.6333})
    del update["message"]["text"]
    post_update(client, update=update)

    assert "https://maps.google.com/?q=-23.5505,-46.6333" in Message.objects.get().body


def test_a_poll_is_stored_as_unsupported_in_words(client, telegram_inbox):
    update = text_update(poll={"id": "1", "question": "Which plan?", "options": []})
    del update["message"]["text"]
    post_update(client, update=update)

    message = Message.objects.get()
    assert message.content_type == Message.ContentType.SYSTEM
    assert message.body.startswith("The customer sent a poll, which Parley cannot show yet")


def test_group_service_messages_and_other_updates_are_left_out(client, telegram_inbox):
    joined = text_update(new_chat_members=[{"id": 1, "is_bot": False, "first_name": "Z"}])
    del joined["message"]["text"]
    button = {"update_id": 1, "callback_query": {"id": "9", "from": {"id": 1}, "data": "x"}}

    assert post_update(client, update=joined).status_code == 200
    assert post_update(client, update=button).status_code == 200
    assert not Message.objects.exists()


def test_a_body_that_is_not_json_is_400(client, telegram_inbox):
    response = applied(
        client.post(
            HOOK,
            data=b"not json",
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        )
    )
    assert response.status_code == 400
    assert not WebhookReceipt.objects.exists()
