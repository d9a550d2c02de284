"""What each provider channel's settings (Inbox.config) must hold, checked where the admin saves
them (conversations.registry.config_problems): missing or malformed credentials show on the form
in words, instead of every webhook being refused and every reply failing later. The keys are the
adapters' own (their docstrings, README's channel table); email's check is email/settings_check.py.
"""

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError

from conversations.models import ChannelType
from conversations.services import normalised_phone

META_APP = ("app_secret", "verify_token")
REQUIRED = {
    ChannelType.SMS: ("account_sid", "auth_token"),
    ChannelType.WHATSAPP: ("phone_number_id", "access_token", *META_APP),
    ChannelType.MESSENGER: ("page_id", "page_access_token", *META_APP),
    ChannelType.INSTAGRAM: ("page_id", "page_access_token", *META_APP),
    ChannelType.TELEGRAM: ("bot_token", "secret_token"),
}
WHAT = {  # a word on where to find each, for a refusal
    "account_sid": "the Account SID on Twilio's console (AC…)",
    "auth_token": "the Auth Token beside it",
    "phone_number_id": "the number's id in Meta's WhatsApp Manager",
    "access_token": "a system user's permanent token",
    "page_id": "the Facebook Page's id",
    "page_access_token": "the Page's access token",
    "app_secret": "the Meta app's App Secret (signs its webhooks)",
    "verify_token": "any secret you also give Meta when subscribing the webhook",
    "bot_token": "the token @BotFather gave the bot",
    "secret_token": "the secret_token you pass to setWebhook",
}
TEXT_KEYS = (*WHAT, "phone_number", "messaging_service_sid", "waba_id", "instagram_account_id")
TELEGRAM_BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts


def provider_config_check(channel_type: str) -> Callable[[dict], list[str]]:
    required, extra = REQUIRED[channel_type], EXTRA_CHECKS.get(channel_type)

    def check(config: dict) -> list[str]:
        problems = [f"{key}: text, in quotes." for key in TEXT_KEYS if not _text(config.get(key))]
        problems += [
            f"{key}: {WHAT[key]}." for key in required if _text(config.get(key)) and not config.get(key)
        ]
        if not problems and extra is not None:
            problems += extra(config)
        return problems

    return check


def _text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _sms(config: dict) -> list[str]:
    problems = []
    if not config["account_sid"].startswith("AC"):
        problems.append("account_sid: Twilio's account SIDs start with AC (not an API key's SK).")
    number, service = config.get("phone_number") or "", config.get("messaging_service_sid") or ""
    if not number and not service:
        problems.append(
            "phone_number (the number in E.164, +14155550100) or messaging_service_sid (MG…): "
            "what replies are sent from."
        )
    try:
        normalised_phone(number)
    except ValidationError:
        problems.append(f"phone_number: {number!r} is not a number with its country code (+14155550100).")
    return problems


def _telegram(config: dict) -> list[str]:
    problems = []
    if not TELEGRAM_BOT_TOKEN.fullmatch(config["bot_token"]):
        problems.append(f"bot_token: {config['bot_token']!r} is not a bot token (123456789:AA…).")
    if not TELEGRAM_SECRET.fullmatch(config["secret_token"]):
        problems.append("secret_token: 1 to 256 of the letters A-Z, a-z, digits, _ and - (Telegram's rule).")
    return problems


EXTRA_CHECKS = {ChannelType.SMS: _sms, ChannelType.TELEGRAM: _telegram}
