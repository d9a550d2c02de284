"""What the simulator does as each provider: the webhook a customer's message becomes (built and
signed exactly as the provider does it, with the inbox's own secret), which of the fake
provider's recorded sends reach that customer, a tap on one of their buttons as the provider posts
it, and the receipts the customer's phone reports.

Payload shapes come from the fake provider's builders (adapters/fake/webhooks.py), which match
the providers' real fixtures byte for byte.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conversations.models import ChannelType, Inbox

from .fake_provider import TWILIO_ACCOUNT_SID, taps
from .fake_provider import webhooks as build
from .fake_provider.twilio import SERVICE_NUMBER

Photo = dict[str, Any]  # what FakeProvider.add_media answers: its URLs and ids for one file


@dataclass(frozen=True)
class Customer:
    id: str  # phone number, WhatsApp id, page-scoped id or chat id, as the channel names them
    name: str


@dataclass(frozen=True)
class Webhook:
    """One provider POST: `signing` is webhooks.signed_request's provider name, `secret` the
    inbox's key that signs it."""

    signing: str
    body: bytes | list[tuple[str, str]]
    secret: str


@dataclass(frozen=True)
class SimulatedChannel:
    channel_type: str
    provider: str  # how the fake provider files its sends, and the <slug> of the /hooks/ URL it posts to
    label: str
    id_label: str
    id_pattern: re.Pattern[str]
    default_customer: Customer
    asks_name: bool  # the provider tells the business the customer's name
    receipts: bool  # the customer's app reports delivered and read (Twilio's carrier does itself)


CHANNELS: dict[str, SimulatedChannel] = {
    channel.channel_type: channel
    for channel in (
        SimulatedChannel(
            ChannelType.SMS,
            "twilio",
            "SMS",
            "Phone number",
            re.compile(r"^\+[1-9]\d{6,14}$"),
            Customer("+14155550142", "Sam Taylor"),
            asks_name=False,
            receipts=False,
        ),
        SimulatedChannel(
            ChannelType.WHATSAPP,
            "whatsapp",
            "WhatsApp",
            "WhatsApp id (phone digits)",
            re.compile(r"^[1-9]\d{6,14}$"),
            Customer("5511987654321", "Beatriz Souza"),
            asks_name=True,
            receipts=True,
        ),
        SimulatedChannel(
            ChannelType.MESSENGER,
            "messenger",
            "Messenger",
            "Page-scoped id (PSID)",
            re.compile(r"^\d{5,20}$"),
            Customer("7254812395518842", "Alex Moreau"),
            asks_name=True,  # not in the webhook: Parley asks Graph's profile (customer_profile)
            receipts=True,
        ),
        SimulatedChannel(
            ChannelType.TELEGRAM,
            "telegram",
            "Telegram",
            "Chat id",
            re.compile(r"^[1-9]\d{4,14}$"),
            Customer("431250987", "Yuki"),
            asks_name=True,
            receipts=False,
        ),
    )
}


def customer_problem(channel: SimulatedChannel, customer: Customer) -> str:
    """Why the provider could never send this identity, or "" when it could."""
    if not channel.id_pattern.match(customer.id):
        example = channel.default_customer.id
        return f"{channel.id_label}: not one {channel.label} would send (for example {example})."
    if len(customer.name) > 64:
        return "The name is longer than 64 characters."
    return ""


def customer_profile(inbox: Inbox, customer: Customer) -> dict[str, str] | None:
    """What Graph's User Profile API shows of a Messenger customer the simulator plays (their name
    as typed, split into first and last as Messenger keeps it), or None. Messenger's webhook names
    nobody: Parley asks the fake for this once their message is stored."""
    if inbox.channel_type != ChannelType.MESSENGER or not customer.name:
        return None
    first, _, last = customer.name.partition(" ")
    return {"first_name": first, "last_name": last}


def customer_webhooks(
    inbox: Inbox, customer: Customer, text: str, photo: Photo | None, next_id: Callable[[], int]
) -> list[Webhook]:
    """The provider's webhook(s) for one customer message: text, a photo, or a captioned photo."""
    config = inbox.config or {}
    name = customer.name or "Customer"
    if inbox.channel_type == ChannelType.SMS:
        media = [_twilio_media(photo, str(config.get("account_sid") or ""))] if photo else []
        form = build.twilio_inbound_sms(
            to=str(config.get("phone_number") or SERVICE_NUMBER),
            from_=customer.id,
            body=text,
            media=media,
            messaging_service_sid=config.get("messaging_service_sid") or None,
            account_sid=str(config.get("account_sid") or ""),
        )
        return [Webhook("twilio", form, str(config.get("auth_token") or ""))]
    if inbox.channel_type == ChannelType.WHATSAPP:
        number = str(config.get("phone_number_id") or "")
        body = (
            build.whatsapp_image(
                number,
                customer.id,
                name,
                photo["graph_id"],
                text or None,
                mime_type=photo["mime_type"],
                sha256=photo["sha256"],
            )
            if photo
            else build.whatsapp_text(number, customer.id, name, text)
        )
        return [Webhook("whatsapp", body, str(config.get("app_secret") or ""))]
    if inbox.channel_type == ChannelType.MESSENGER:
        page, secret = str(config.get("page_id") or ""), str(config.get("app_secret") or "")
        bodies = [build.messenger_image(page, customer.id, photo["url"])] if photo else []
        bodies += [build.messenger_text(page, customer.id, text)] if text else []
        return [Webhook("messenger", body, secret) for body in bodies]
    if inbox.channel_type == ChannelType.TELEGRAM:
        chat, message = int(customer.id), {"message_id": next_id(), "date": int(time.time())}
        body = (
            build.telegram_photo(next_id(), chat, name, photo["telegram_file_id"], text or None, **message)
            if photo
            else build.telegram_text(next_id(), chat, name, text, **message)
        )
        return [Webhook("telegram", body, str(config.get("secret_token") or ""))]
    raise ValueError(f"the simulator does not play {inbox.channel_type} customers")


def tap_webhook(
    inbox: Inbox, customer: Customer, send: dict[str, Any], button: dict[str, str], next_id: Callable[[], int]
) -> Webhook:
    """The provider's webhook for the customer's tap on `button` under `send` (one of the buttons
    the fake provider recorded with it): WhatsApp's button_reply, Messenger's quick reply, or
    Telegram's callback_query carrying the message with its keyboard."""
    config = inbox.config or {}
    name = customer.name or "Customer"
    if inbox.channel_type == ChannelType.WHATSAPP:
        number = str(config.get("phone_number_id") or "")
        body = taps.whatsapp_button_reply(
            number, customer.id, name, button["id"], button["title"], context_id=send["id"]
        )
        return Webhook("whatsapp", body, str(config.get("app_secret") or ""))
    if inbox.channel_type == ChannelType.MESSENGER:
        page = str(config.get("page_id") or "")
        body = taps.messenger_quick_reply(page, customer.id, button["title"], button["id"])
        return Webhook("messenger", body, str(config.get("app_secret") or ""))
    if inbox.channel_type == ChannelType.TELEGRAM:
        chat = int(customer.id)
        _, chat_shown = build.telegram_people(chat, name, None, None, None)
        message = {
            "message_id": int(send["id"]),
            "from": {"id": int(send["account"]), "is_bot": True, "first_name": inbox.name},
            "chat": chat_shown,
            "date": int(send["received_at"]),
            "text": send.get("body") or "",
            "reply_markup": {
                "inline_keyboard": [[{"text": b["title"], "callback_data": b["id"]}] for b in send["buttons"]]
            },
        }
        body = taps.telegram_callback_query(next_id(), chat, name, button["id"], message)
        return Webhook("telegram", body, str(config.get("secret_token") or ""))
    raise ValueError(f"{inbox.channel_type} shows no buttons")


def _twilio_media(photo: Photo, account_sid: str) -> tuple[str, str]:
    """Twilio's media URL lives under the receiving account, which fetches it with its own
    credentials; the fake serves the file under any account."""
    url = str(photo["twilio_url"]).replace(f"/Accounts/{TWILIO_ACCOUNT_SID}/", f"/Accounts/{account_sid}/")
    return url, str(photo["mime_type"])


def sends_to(inbox: Inbox, customer: Customer, sends: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fake provider's accepted sends from this inbox to this customer, oldest first."""
    config = inbox.config or {}
    if inbox.channel_type == ChannelType.SMS:
        account = str(config.get("account_sid") or "")
        return [s for s in sends if s["account"] == account and s["to"] == customer.id]
    if inbox.channel_type == ChannelType.WHATSAPP:
        number = str(config.get("phone_number_id") or "")
        return [s for s in sends if s["account"] == number and s["wa_id"] == customer.id]
    if inbox.channel_type == ChannelType.TELEGRAM:
        bot = str(config.get("bot_token") or "").split(":")[0]
        return [s for s in sends if s["account"] == bot and s["to"] == customer.id]
    return [s for s in sends if s["to"] == customer.id]  # Messenger sends to /me: the token is the page


def receipt_webhooks(inbox: Inbox, customer: Customer, send: dict[str, Any]) -> list[Webhook]:
    """What the customer's app reports once a reply is on screen: delivered, then read."""
    config = inbox.config or {}
    secret = str(config.get("app_secret") or "")
    if inbox.channel_type == ChannelType.WHATSAPP:
        number = str(config.get("phone_number_id") or "")
        return [
            Webhook("whatsapp", build.whatsapp_status(number, send["id"], status, customer.id), secret)
            for status in ("delivered", "read")
        ]
    if inbox.channel_type == ChannelType.MESSENGER:
        page, now = str(config.get("page_id") or ""), int(time.time() * 1000)
        reports = ({"delivery": {"mids": [send["id"]], "watermark": now}}, {"read": {"watermark": now}})
        return [Webhook("messenger", _messenger_report(page, customer.id, now, r), secret) for r in reports]
    return []


def _messenger_report(page_id: str, psid: str, now: int, report: dict[str, Any]) -> bytes:
    """A delivery or read event, in the `messaging` envelope Messenger posts them in."""
    event = {"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": now, **report}
    payload = {"object": "page", "entry": [{"id": page_id, "time": now, "messaging": [event]}]}
    return json.dumps(payload, separators=(",", ":")).encode()
