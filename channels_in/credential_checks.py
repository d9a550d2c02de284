"""Whether a provider accepts an inbox's credentials, asked where the admin saves them: new or
changed credentials are tried with one harmless call (Twilio lists one message, Telegram's getMe,
Graph's /me for Meta's tokens) and a refusal is shown in the provider's words, so a typo is found
at setup, not at the first reply. A provider out of reach proves nothing: the save goes ahead."""

import httpx
from django.conf import settings

from conversations.models import ChannelType
from conversations.registry import DeliveryError

from .adapters.base import ProviderClient

REFUSED = (401, 403, 404)  # a wrong token, a token without the right, an account that is not there
CREDENTIAL_KEYS = {
    ChannelType.SMS: ("account_sid", "auth_token"),
    ChannelType.TELEGRAM: ("bot_token",),
    ChannelType.WHATSAPP: ("access_token",),
    ChannelType.MESSENGER: ("page_access_token",),
    ChannelType.INSTAGRAM: ("page_access_token",),
}


def twilio_credential_problems(config: dict) -> list[str]:
    sid, token = config["account_sid"], config["auth_token"]
    path = f"/2010-04-01/Accounts/{sid}/Messages.json"
    answer = _asked(settings.TWILIO_API_URL, path, params={"PageSize": 1}, auth=(sid, token))
    if answer is None:
        return []
    return [
        f"Twilio refused these credentials ({_said(answer, 'message')}). Check the Account SID and "
        "the Auth token on Twilio's console."
    ]


def telegram_credential_problems(config: dict) -> list[str]:
    answer = _asked(settings.TELEGRAM_API_URL, f"/bot{config['bot_token']}/getMe")
    if answer is None:
        return []
    return [f"Telegram refused this bot token ({_said(answer, 'description')}). Ask @BotFather for it again."]


def graph_token_problems(config: dict) -> list[str]:
    """Graph's /me answers whom any token stands for (a Page, a system user), so one call fits
    WhatsApp's, Messenger's and Instagram's tokens alike."""
    token = config.get("access_token") or config.get("page_access_token")
    path = f"/{settings.META_GRAPH_VERSION}/me"
    answer = _asked(settings.META_GRAPH_URL, path, params={"fields": "id,name"}, headers=_bearer(token))
    if answer is None:
        return []
    return [
        f"Meta refused this token ({_said(answer, 'message')}). Generate a new one in the Meta app "
        "(a system user's permanent token for WhatsApp, the Page's long-lived token otherwise)."
    ]


CREDENTIAL_CHECKS = {
    ChannelType.SMS: twilio_credential_problems,
    ChannelType.TELEGRAM: telegram_credential_problems,
    ChannelType.WHATSAPP: graph_token_problems,
    ChannelType.MESSENGER: graph_token_problems,
    ChannelType.INSTAGRAM: graph_token_problems,
}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _asked(base_url: str, path: str, **kwargs) -> httpx.Response | None:
    """The provider's refusal of the call, or None when it took it or could not be reached."""
    try:
        answer = ProviderClient(base_url=base_url).request("GET", path, **kwargs)
    except DeliveryError:
        return None
    return answer if answer.status_code in REFUSED else None


def _said(answer: httpx.Response, key: str) -> str:
    """ "401: Unauthorized": the status and the provider's own words, from its JSON where it has them
    (Graph keeps them in an "error" object)."""
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    words = str(body.get(key) or "")[:200] if isinstance(body, dict) else ""
    return f"{answer.status_code}: {words or answer.reason_phrase}"
