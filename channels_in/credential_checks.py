"""Whether a provider accepts an inbox's credentials, asked where the admin saves them: new or
changed credentials are tried with one harmless call (Twilio lists one message, Telegram's getMe)
and a refusal is shown in the provider's words, so a typo is found at setup, not at the first
reply. A provider out of reach proves nothing: the save goes ahead. Meta's tokens are not asked
yet (a Page token's check needs the app's own token)."""

from django.conf import settings

from conversations.models import ChannelType
from conversations.registry import DeliveryError

from .adapters.base import ProviderClient

CREDENTIAL_KEYS = {ChannelType.SMS: ("account_sid", "auth_token"), ChannelType.TELEGRAM: ("bot_token",)}


def twilio_credential_problems(config: dict) -> list[str]:
    sid, token = config["account_sid"], config["auth_token"]
    try:
        answer = ProviderClient(base_url=settings.TWILIO_API_URL).request(
            "GET", f"/2010-04-01/Accounts/{sid}/Messages.json", params={"PageSize": 1}, auth=(sid, token)
        )
    except DeliveryError:
        return []
    if answer.status_code in (401, 403, 404):
        said = _said(answer, "message") or answer.reason_phrase
        return [
            f"Twilio refused these credentials ({answer.status_code}: {said}). Check the Account SID "
            "and the Auth token on Twilio's console."
        ]
    return []


def telegram_credential_problems(config: dict) -> list[str]:
    try:
        answer = ProviderClient(base_url=settings.TELEGRAM_API_URL).request(
            "GET", f"/bot{config['bot_token']}/getMe"
        )
    except DeliveryError:
        return []
    if answer.status_code in (401, 403, 404):
        said = _said(answer, "description") or answer.reason_phrase
        return [
            f"Telegram refused this bot token ({answer.status_code}: {said}). Ask @BotFather for it again."
        ]
    return []


CREDENTIAL_CHECKS = {
    ChannelType.SMS: twilio_credential_problems,
    ChannelType.TELEGRAM: telegram_credential_problems,
}


def _said(answer, key: str) -> str:
    try:
        body = answer.json()
    except ValueError:
        return ""
    return str(body.get(key) or "")[:200] if isinstance(body, dict) else ""
