"""Telegram: Bot API updates carrying the secret token Telegram echoes back verbatim; no delivery
reports; the Bot API cannot be asked about a lost answer; offered replies as an inline keyboard,
a tap as a callback_query."""

from typing import Any

from channels_in.adapters.telegram import TelegramAdapter
from conversations.models import ChannelType, Message
from simulator.fake_provider import taps
from simulator.fake_provider.telegram import BOT_NAME
from tests.channels.conftest import TELEGRAM_SECRET
from tests.fixtures import fixture_bytes

from .entry import (
    AdapterCase,
    Buttons,
    Forgery,
    Inbound,
    LostAnswer,
    MakePost,
    NoStatusReports,
    Refusal,
    Retry,
    Sample,
    Sending,
    Settled,
    SignedPost,
    after,
    behaviour,
    fault,
    inbox_config,
    on_fake,
)

TELEGRAM_HOOK = "/hooks/telegram/tg-main/"

CHAT_ID = "111222333"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


HEADERS = {"Content-Type": "application/json", SECRET_HEADER: TELEGRAM_SECRET}


def telegram_fixture(file: str) -> MakePost:
    return lambda inbox: SignedPost(TELEGRAM_HOOK, fixture_bytes(f"telegram/{file}"), HEADERS)


def telegram_tap(message: Message, send: dict[str, Any], action_id: str) -> SignedPost:
    """Ana taps a button under the bot's message as the fake Bot API accepted it."""
    keyboard = [[{"text": button["title"], "callback_data": button["id"]}] for button in send["buttons"]]
    tapped = {
        "message_id": int(send["id"]),
        "from": {"id": int(send["account"]), "is_bot": True, **BOT_NAME},
        "chat": {"id": int(CHAT_ID), "type": "private"},
        "date": int(send["received_at"]),
        "text": send["body"],
        "reply_markup": {"inline_keyboard": keyboard},
    }
    body = taps.telegram_callback_query(987654330, int(CHAT_ID), "Ana", action_id, tapped)
    return SignedPost(TELEGRAM_HOOK, body, HEADERS)


TELEGRAM_TEXT = telegram_fixture("update_text.json")


def with_secret(secret: str) -> Forgery:
    return Forgery(lambda inbox: TELEGRAM_TEXT(inbox).with_header(SECRET_HEADER, secret))


TELEGRAM = AdapterCase(
    name="telegram",
    adapter=TelegramAdapter,
    channel_type=ChannelType.TELEGRAM,
    inbound=Inbound(
        inbox="telegram_inbox",
        samples={
            "update_text.json": Sample(TELEGRAM_TEXT),
            "update_photo.json": Sample(telegram_fixture("update_photo.json")),
            "update_sticker.json": Sample(telegram_fixture("update_sticker.json")),
            "update_callback_query.json": Sample(
                telegram_fixture("update_callback_query.json"), "Yes, that solved it"
            ),
        },
        replayed="update_text.json",
        signature_header=SECRET_HEADER,
        wrong_signature=TELEGRAM_SECRET[:-1],  # a character short
        forgeries={
            "empty secret": with_secret(""),
            "a character more": with_secret(TELEGRAM_SECRET + "0"),
            "other case": with_secret(TELEGRAM_SECRET.upper()),
            "an inbox without a secret": Forgery(
                after(
                    inbox_config(secret_token=""),
                    lambda inbox: TELEGRAM_TEXT(inbox).with_header(SECRET_HEADER, ""),
                )
            ),
        },
    ),
    statuses=NoStatusReports("The Bot API tells a bot nothing about delivery or reading."),
    sending=Sending(
        inbox="telegram_inbox",
        customer=CHAT_ID,
        endpoint=on_fake("telegram"),
        provider_id=lambda message, send: f"{CHAT_ID}:{send['id']}",
        refusals={
            "bot blocked": Refusal(
                behaviour(blocked_chats=[CHAT_ID]),
                "403",
                ("The customer blocked the bot or deleted their chat: they must start it again.",),
                whole=True,
            ),
            "chat not found": Refusal(fault("error:chat_not_found"), "400", ("does not know this chat",)),
            "account deleted": Refusal(fault("error:deactivated"), "403", ("account was deleted",)),
            "token revoked": Refusal(fault("error:unauthorized"), "401", ("check it with @BotFather",)),
        },
        retries={
            "429": Retry(
                behaviour(script=[{"match": "telegram", "respond": "429"}], telegram_retry_after=35),
                words="rate limiting",
                retry_after=35,
            ),
            "500": Retry(fault("500")),
            "502": Retry(fault("502")),
        },
        lost_answer=LostAnswer(fault("timeout"), Settled.CANNOT_TELL, ("Telegram offers no way to check",)),
    ),
    buttons=Buttons(
        limit=10,
        title_length=None,
        drawn=lambda send: send.get("buttons", []),
        tap=telegram_tap,
    ),
)
