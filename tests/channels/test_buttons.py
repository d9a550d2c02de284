"""Offered replies on each provider, beyond the contract (test_adapter_buttons.py): exactly what a
send carries, the edges (a text too long for WhatsApp's button message, ids too long for Telegram's
callback_data, titles alike once shortened), and taps the provider reports without the button's
whole title: Telegram's inaccessible message, Messenger's shortened text, quick replies Parley
never offered. Sends go to the fake provider; taps are the fixtures, posted as the provider posts them."""

import json

import pytest
from django.core.files.base import ContentFile

from channels_in.adapters.buttons import Button, buttons_for, title_of
from channels_in.adapters.meta_whatsapp import split_for_buttons
from conversations.models import Attachment, Message
from conversations.tasks import deliver_message
from simulator.fake_provider import taps
from tests.channels.adapter_cases.entry import signed
from tests.channels.conftest import META, PAGE_ID, TELEGRAM_SECRET, reply_to
from tests.channels.worker import applied
from tests.fixtures import fixture_bytes, fixture_json

CHAT_ID = "111222333"
WA_ID = "16505551234"
PSID = "6789012345678901"
CONFIRM = [
    {"id": "solved", "title": "Yes, that solved it"},
    {"id": "not_solved", "title": "No, talk to a person"},
]


def offering(inbox, customer: str, actions: list[dict], body: str = "Did that solve it?") -> Message:
    reply = reply_to(inbox, customer, body=body)
    Message.objects.filter(pk=reply.pk).update(actions=actions)
    reply.refresh_from_db()
    return reply


def customer_messages(inbox) -> list[str]:
    contact = Message.SenderKind.CONTACT
    return list(
        Message.objects.filter(inbox=inbox, sender_kind=contact).order_by("pk").values_list("body", flat=True)
    )


def post_telegram(client, body: bytes):
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    return applied(
        client.post("/hooks/telegram/tg-main/", data=body, content_type="application/json", headers=headers)
    )


# --- what each provider is sent ---


def test_telegram_gets_one_button_a_row_with_the_reply_ids_as_callback_data(fake_provider, telegram_inbox):
    reply = offering(telegram_inbox, CHAT_ID, CONFIRM)

    deliver_message(reply.pk)

    [send] = fake_provider.sends("telegram")
    assert send["raw"]["json"] == {
        "chat_id": CHAT_ID,
        "text": "Did that solve it?",
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Yes, that solved it", "callback_data": "solved"}],
                [{"text": "No, talk to a person", "callback_data": "not_solved"}],
            ]
        },
    }


def test_telegram_numbers_the_buttons_when_an_id_is_past_64_bytes_and_a_tap_still_finds_the_title(
    client, fake_provider, telegram_inbox
):
    actions = [{"id": "é" * 33, "title": "Pause my plan"}, {"id": "cancel", "title": "Cancel it"}]
    reply = offering(telegram_inbox, CHAT_ID, actions)
    deliver_message(reply.pk)
    [send] = fake_provider.sends("telegram")
    reply.refresh_from_db()

    inaccessible = {"chat": {"id": int(CHAT_ID), "type": "private"}, "message_id": int(send["id"]), "date": 0}
    post_telegram(client, taps.telegram_callback_query(987654340, int(CHAT_ID), "Ana", "1", inaccessible))

    assert send["buttons"] == [{"id": "1", "title": "Pause my plan"}, {"id": "2", "title": "Cancel it"}]
    assert customer_messages(telegram_inbox)[-1] == "Pause my plan"


def test_telegram_uploads_a_file_with_the_keyboard_as_json_text(
    fake_provider, telegram_inbox, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    reply = offering(telegram_inbox, CHAT_ID, CONFIRM)
    voice = Attachment(message=reply, mime_type="audio/ogg", file_name="note.ogg")
    voice.file.save("note.ogg", ContentFile(b"OggS"), save=True)

    deliver_message(reply.pk)

    [upload] = fake_provider.sends("telegram")
    assert upload["type"] == "document" and upload["body"] == "Did that solve it?"
    assert json.loads(upload["raw"]["form"]["reply_markup"][0])["inline_keyboard"][1] == [
        {"text": "No, talk to a person", "callback_data": "not_solved"}
    ]
    assert [button["id"] for button in upload["buttons"]] == ["solved", "not_solved"]


def test_messenger_puts_quick_replies_on_the_text_titles_in_20_characters(fake_provider, messenger_inbox):
    actions = [*CONFIRM, {"id": "billing", "title": "A question about my invoice"}]
    reply = offering(messenger_inbox, PSID, actions)

    deliver_message(reply.pk)

    [send] = fake_provider.sends("messenger")
    assert send["raw"]["json"]["message"] == {
        "text": "Did that solve it?",
        "quick_replies": [
            {"content_type": "text", "title": "Yes, that solved it", "payload": "solved"},
            {"content_type": "text", "title": "No, talk to a person", "payload": "not_solved"},
            {"content_type": "text", "title": "A question about my…", "payload": "billing"},
        ],
    }


def test_whatsapp_sends_an_interactive_button_message(fake_provider, whatsapp_inbox):
    reply = offering(whatsapp_inbox, WA_ID, CONFIRM)

    deliver_message(reply.pk)

    [send] = fake_provider.sends("whatsapp")
    payload = send["raw"]["json"]
    assert payload["type"] == "interactive"
    assert payload["interactive"] == {
        "type": "button",
        "body": {"text": "Did that solve it?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "solved", "title": "Yes, that solved it"}},
                {"type": "reply", "reply": {"id": "not_solved", "title": "No, talk to a person"}},
            ]
        },
    }
    assert payload["biz_opaque_callback_data"] == f"parley:{reply.pk}"
    reply.refresh_from_db()
    assert reply.provider_message_id == send["id"]


def test_whatsapp_sends_a_text_too_long_for_its_buttons_first_and_the_buttons_under_the_last_paragraph(
    fake_provider, whatsapp_inbox
):
    articles = "\n\n".join(f"Article {number}: " + " ".join(["step"] * 60) for number in range(1, 5))
    reply = offering(
        whatsapp_inbox, WA_ID, CONFIRM, body=f"Here is what I found:\n\n{articles}\n\nDid that solve it?"
    )

    deliver_message(reply.pk)

    lead, buttons = fake_provider.sends("whatsapp")
    assert (lead["type"], buttons["type"]) == ("text", "interactive")
    assert len(buttons["body"]) <= 1024 and buttons["body"].endswith("Did that solve it?")
    assert f"{lead['body']}\n\n{buttons['body']}" == reply.body  # split at a paragraph, nothing lost
    reply.refresh_from_db()
    assert reply.provider_message_id == buttons["id"]


# --- taps that do not carry the whole title ---


def test_a_telegram_tap_on_a_message_telegram_no_longer_has_takes_the_title_parley_stored(
    client, telegram_inbox
):
    reply = offering(telegram_inbox, CHAT_ID, CONFIRM)
    Message.objects.filter(pk=reply.pk).update(provider_message_id=f"{CHAT_ID}:1368")

    post_telegram(client, fixture_bytes("telegram/update_callback_query_inaccessible.json"))

    tapped = Message.objects.filter(inbox=telegram_inbox, sender_kind=Message.SenderKind.CONTACT).last()
    assert (tapped.body, tapped.provider_message_id) == (
        "No, talk to a person",
        "callback:4774483392185693202",
    )
    assert tapped.conversation_id == reply.conversation_id


def test_a_telegram_tap_is_answered_in_the_webhook_reply_so_the_button_stops_spinning(client, telegram_inbox):
    """Telegram's clients spin the tapped button until the bot answers the callback query; the Bot
    API lets a webhook's 200 carry that call (a JSON body naming the method), so it costs no
    outbound request and cannot be lost to a busy worker."""
    offering(telegram_inbox, CHAT_ID, CONFIRM)
    update = fixture_json("telegram/update_callback_query.json")

    answer = post_telegram(client, json.dumps(update).encode())

    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json"
    assert json.loads(answer.content) == {
        "method": "answerCallbackQuery",
        "callback_query_id": update["callback_query"]["id"],
    }
    assert customer_messages(telegram_inbox)[-1] == "Yes, that solved it"


def test_a_telegram_message_gets_an_empty_webhook_reply(client, telegram_inbox):
    answer = post_telegram(client, fixture_bytes("telegram/update_text.json"))

    assert (answer.status_code, answer.content) == (200, b"")


def test_a_telegram_tap_under_an_inline_mode_message_is_left_out(client, telegram_inbox):
    update = fixture_json("telegram/update_callback_query.json")
    query = update["callback_query"]
    del query["message"]
    query["inline_message_id"] = "AAAAAFr9QgABAAAA"

    assert post_telegram(client, json.dumps(update).encode()).status_code == 200
    assert not Message.objects.exists()


def test_a_messenger_tap_on_a_shortened_title_stores_the_whole_title(client, messenger_inbox):
    actions = [*CONFIRM, {"id": "billing", "title": "A question about my invoice"}]
    offering(messenger_inbox, PSID, actions)
    body = taps.messenger_quick_reply(PAGE_ID, PSID, "A question about my…", "billing")

    signed("/hooks/messenger/fb-main/", "messenger", body, META["app_secret"]).post(client)

    assert customer_messages(messenger_inbox)[-1] == "A question about my invoice"


def test_a_quick_reply_parley_never_offered_keeps_the_customers_text(client, messenger_inbox):
    body = taps.messenger_quick_reply(PAGE_ID, PSID, "ana@example.com", "ana@example.com")

    signed("/hooks/messenger/fb-main/", "messenger", body, META["app_secret"]).post(client)

    assert customer_messages(messenger_inbox) == ["ana@example.com"]


def test_a_whatsapp_tap_finds_the_whole_title_on_the_message_it_answers(client, whatsapp_inbox):
    actions = [{"id": "billing", "title": "A question about my invoice"}, *CONFIRM]
    reply = offering(whatsapp_inbox, WA_ID, actions)
    Message.objects.filter(pk=reply.pk).update(provider_message_id="wamid.ours")
    body = taps.whatsapp_button_reply(
        "106540352242922", WA_ID, "Sheena Nelson", "billing", "A question about my…", "wamid.ours"
    )

    signed("/hooks/whatsapp/wa-main/", "whatsapp", body, META["app_secret"]).post(client)

    assert customer_messages(whatsapp_inbox)[-1] == "A question about my invoice"


# --- the shapes, as functions ---


def test_titles_alike_once_shortened_are_numbered_so_providers_take_them():
    actions = [
        {"id": "a", "title": "Question about my invoice from March"},
        {"id": "b", "title": "Question about my invoice from April"},
    ]

    assert buttons_for(actions, id_bytes=256, title_length=20) == [
        Button("a", "1. Question about m…"),
        Button("b", "2. Question about m…"),
    ]
    assert title_of(actions, "b") == title_of(actions, "2") == "Question about my invoice from April"


@pytest.mark.parametrize(
    ("text", "lead", "prompt"),
    [
        ("short", "", "short"),
        ("a" * 15 + "\n\nlast one", "a" * 15, "last one"),
        ("line one\nline two is long", "line one", "line two is long"),
        ("words and some more words", "words", "and some more words"),
        ("x" * 25, "x" * 5, "x" * 20),
    ],
)
def test_a_text_splits_for_buttons_at_paragraphs_then_lines_then_words(text, lead, prompt):
    assert split_for_buttons(text, 20) == (lead, prompt)
