"""What a provider inbox's admin page tells the business to paste at the provider: its webhook
URL, where it goes, and for the API channel the command that makes its credentials
(conversations.registry.setup_guide)."""

from collections.abc import Callable

from django.conf import settings
from django.urls import reverse

from conversations.models import ChannelType, Inbox

Guide = Callable[[Inbox], list[tuple[str, str]]]
WHERE = {
    ChannelType.SMS: (
        "twilio",
        "Twilio console → Phone Numbers → your number → Messaging: 'A message comes in', HTTP POST",
    ),
    ChannelType.WHATSAPP: (
        "whatsapp",
        "Meta app → WhatsApp → Configuration → Callback URL (Verify token: this inbox's "
        "verify_token), then subscribe to 'messages'",
    ),
    ChannelType.MESSENGER: (
        "messenger",
        "Meta app → Webhooks → Page → Callback URL (Verify token: this inbox's verify_token), then "
        "subscribe the Page to messages, messaging_postbacks, message_deliveries and message_reads",
    ),
    ChannelType.INSTAGRAM: (
        "instagram",
        "Meta app → Webhooks → Instagram → Callback URL (Verify token: this inbox's verify_token), "
        "then subscribe to messages",
    ),
}


def setup_guides() -> dict[str, Guide]:
    guides: dict[str, Guide] = {channel_type: _webhook(*where) for channel_type, where in WHERE.items()}
    guides[ChannelType.TELEGRAM] = _telegram
    guides[ChannelType.EMAIL] = _email
    guides[ChannelType.API] = _api
    return guides


def _hook_url(slug: str, inbox: Inbox) -> str:
    return settings.PUBLIC_URL + reverse(
        "channels_in:webhook", kwargs={"provider": slug, "key": inbox.public_key}
    )


def _webhook(slug: str, where: str) -> Guide:
    return lambda inbox: [(where, _hook_url(slug, inbox))]


def _telegram(inbox: Inbox) -> list[tuple[str, str]]:
    url = _hook_url("telegram", inbox)
    return [
        (
            "Run once, with the bot's token and this inbox's secret_token in place of the <…>",
            f'curl "https://api.telegram.org/bot<bot_token>/setWebhook" -d "url={url}" '
            '-d "secret_token=<secret_token>"',
        )
    ]


def _email(inbox: Inbox) -> list[tuple[str, str]]:
    url = settings.PUBLIC_URL + reverse("channels_in:mailgun_forward", kwargs={"key": inbox.public_key})
    return [
        (
            "By IMAP there is nothing to paste: Parley reads the mailbox. To forward instead, make a "
            "Mailgun route whose action is (and put the account's webhook signing key in "
            "mailgun_signing_key)",
            f'forward("{url}")',
        )
    ]


def _api(inbox: Inbox) -> list[tuple[str, str]]:
    return [
        (
            "Make the inbox's token and webhook secret on the server (again with --rotate for new ones)",
            f"python manage.py api_channel_credentials {inbox.public_key}",
        ),
        ("Your backend calls", settings.PUBLIC_URL + "/api/v1/channel/"),
    ]
