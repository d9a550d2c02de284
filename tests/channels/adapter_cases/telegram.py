"""Telegram: Bot API updates carrying the secret token Telegram echoes back verbatim; no delivery
reports; the Bot API cannot be asked about a lost answer."""

from channels_in.adapters.telegram import TelegramAdapter
from conversations.models import ChannelType
from tests.channels.conftest import TELEGRAM_SECRET
from tests.fixtures import fixture_bytes

from .entry import (
    AdapterCase,
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


def telegram_fixture(file: str) -> MakePost:
    headers = {"Content-Type": "application/json", SECRET_HEADER: TELEGRAM_SECRET}
    return lambda inbox: SignedPost(TELEGRAM_HOOK, fixture_bytes(f"telegram/{file}"), headers)


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
)
