"""A customer's tap on a button, as each provider posts it: Telegram's callback_query, the Messenger
Platform's quick reply (Messenger and Instagram), WhatsApp's button_reply and a template's
quick-reply "button". Byte for byte the fixtures (tests/fixtures/telegram/update_callback_query.json,
meta/messenger_quick_reply.json, instagram_quick_reply.json, whatsapp_button_reply.json,
whatsapp_template_button.json) given their ids and times; sign them with webhooks.signed_request.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from .webhooks import (
    DISPLAY_PHONE_NUMBER,
    WABA_ID,
    compact,
    messaging_body,
    telegram_people,
    whatsapp_message,
)
from .wire import new_mid


def telegram_callback_query(
    update_id: int,
    chat_id: int,
    first_name: str,
    data: str,
    message: Mapping[str, Any],
    *,
    query_id: str | None = None,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
    chat_instance: str = "-7046573621365279013",
) -> bytes:
    """A tap on the inline button whose callback_data is `data`, under `message`: the bot's
    message as sendMessage answered it (its "result", keyboard included), or, once Telegram no
    longer has it, {"chat", "message_id", "date": 0}."""
    sender, _chat = telegram_people(chat_id, first_name, last_name, username, language_code)
    query = {
        "id": query_id or str(secrets.randbits(62)),
        "from": sender,
        "message": dict(message),
        "chat_instance": chat_instance,
        "data": data,
    }
    return compact({"update_id": update_id, "callback_query": query})


def messenger_quick_reply(
    page_id: str, psid: str, text: str, payload: str, mid: str | None = None, *, time_ms: int | None = None
) -> bytes:
    """`text` is the title the button showed; `payload` the quick reply's payload."""
    message = {"mid": mid or new_mid(), "text": text, "quick_reply": {"payload": payload}}
    return messaging_body("page", page_id, psid, message, time_ms)


def instagram_quick_reply(
    instagram_id: str,
    igsid: str,
    text: str,
    payload: str,
    mid: str | None = None,
    *,
    time_ms: int | None = None,
) -> bytes:
    """As Messenger's, with the payload first, as Instagram's webhook has it."""
    message = {"quick_reply": {"payload": payload}, "mid": mid or new_mid(), "text": text}
    return messaging_body("instagram", instagram_id, igsid, message, time_ms)


def whatsapp_button_reply(
    phone_number_id: str,
    wa_id: str,
    name: str,
    button_id: str,
    title: str,
    context_id: str,
    wamid: str | None = None,
    timestamp: str | int | None = None,
    *,
    waba_id: str = WABA_ID,
    display_phone_number: str = DISPLAY_PHONE_NUMBER,
) -> bytes:
    """A tap on a reply button of the message `context_id` (the wamid the send was answered with)."""
    message = {
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}},
    }
    return whatsapp_message(
        phone_number_id, wa_id, name, message, wamid, timestamp, waba_id, display_phone_number, context_id
    )


def whatsapp_template_button(
    phone_number_id: str,
    wa_id: str,
    name: str,
    text: str,
    payload: str,
    context_id: str,
    wamid: str | None = None,
    timestamp: str | int | None = None,
    *,
    waba_id: str = WABA_ID,
    display_phone_number: str = DISPLAY_PHONE_NUMBER,
) -> bytes:
    """A tap on a template's quick-reply button."""
    message = {"type": "button", "button": {"payload": payload, "text": text}}
    return whatsapp_message(
        phone_number_id, wa_id, name, message, wamid, timestamp, waba_id, display_phone_number, context_id
    )
