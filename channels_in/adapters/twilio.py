"""Twilio Programmable Messaging: SMS and MMS.

Inbound (application/x-www-form-urlencoded, signed with X-Twilio-Signature), e.g.
    MessageSid=SM8f2b…&AccountSid=ACaa…&From=%2B14155550199&To=%2B14155550100&Body=Hi&NumMedia=0
and, through a Messaging Service, the same plus MessagingServiceSid=MGbb… (the signature is the
same algorithm: HMAC-SHA1 with the account's auth token over the URL Twilio posted to followed by
every parameter name and value, sorted by name). Status callbacks carry MessageSid and
MessageStatus (queued, sent, delivered, undelivered, failed, read) and ErrorCode.

Inbox.config: account_sid, auth_token, and phone_number (E.164) or messaging_service_sid.
Fixtures: tests/fixtures/twilio/.
"""

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from conversations.models import ChannelType, Inbox, Message

from .base import (
    FetchedMedia,
    InboundEvent,
    InboundMedia,
    InboundMessage,
    PermanentDeliveryError,
    ProviderClient,
    SendReceipt,
    SignatureMismatch,
    StatusUpdate,
    WebhookAnswer,
    WebhookRequest,
    config_value,
    media_url,
    same_secret,
    transient_for_status,
)
from .content import answer_json, recipient
from .errors import twilio_error_in_words

STATUSES = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "failed",
    "failed": "failed",
}
MAX_MEDIA = 10  # Twilio takes at most ten MediaUrl per message


def signature(auth_token: str, url: str, params: Sequence[tuple[str, str]]) -> str:
    """X-Twilio-Signature as Twilio computes it: the URL, then each parameter name with each of its
    values, names sorted, a repeated name's distinct values sorted (RequestValidator's rule)."""
    signed = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    """Twilio signs the URL as configured; proxies and its own SDKs disagree about a default
    port, so both spellings are tried (as Twilio's own RequestValidator does)."""
    parts = urlsplit(url)
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    with_port = urlunsplit(parts._replace(netloc=f"{host}:{parts.port or default_port}"))
    without_port = urlunsplit(parts._replace(netloc=host))
    return [url, with_port, without_port]


class TwilioAdapter:
    slug: ClassVar[str] = "twilio"
    channel_types: ClassVar[tuple[str, ...]] = (ChannelType.SMS,)

    def verify(self, inbox: Inbox, request: WebhookRequest) -> None:
        given = request.headers.get("X-Twilio-Signature", "")
        auth_token = str((inbox.config or {}).get("auth_token") or "")
        candidates = dict.fromkeys(variant for seen in request.urls for variant in _url_variants(seen))
        for url in candidates:
            if same_secret(given, signature(auth_token, url, request.form)):
                return
        raise SignatureMismatch("X-Twilio-Signature does not match this inbox's auth token")

    def handshake(self, inbox: Inbox, request: WebhookRequest) -> str | None:
        return None

    def answer(self, request: WebhookRequest) -> WebhookAnswer | None:
        return None

    def parse(self, inbox: Inbox, request: WebhookRequest) -> list[InboundEvent]:
        sid = request.form_value("MessageSid") or request.form_value("SmsSid")
        if not sid:
            return []
        status = request.form_value("MessageStatus")
        if status and status != "received":
            if status not in STATUSES:
                return []  # queued, sending, accepted: nothing the agent needs to see
            code = request.form_value("ErrorCode")
            return [
                StatusUpdate(
                    provider_message_id=sid,
                    status=STATUSES[status],
                    error_code=code,
                    error=twilio_error_in_words(code) if code else "",
                )
            ]
        sender = request.form_value("From")
        media = tuple(
            InboundMedia(
                reference=request.form_value(f"MediaUrl{index}"),
                mime_type=request.form_value(f"MediaContentType{index}") or "application/octet-stream",
            )
            for index in range(_count(request.form_value("NumMedia")))
            if request.form_value(f"MediaUrl{index}")
        )
        return [
            InboundMessage(
                provider_message_id=sid,
                source_id=sender,
                body=request.form_value("Body"),
                media=media,
                phone=sender if sender.startswith("+") else "",
            )
        ]

    def send(self, message: Message) -> SendReceipt:
        inbox = message.conversation.inbox
        form = {
            "To": recipient(message),
            **_sender_fields(inbox),
            "Body": message.body,
            "MediaUrl": [media_url(a) for a in list(message.attachments.all())[:MAX_MEDIA]],
            "StatusCallback": f"{settings.PUBLIC_URL}/hooks/{self.slug}/{inbox.public_key}/",
        }
        response = _api(inbox).request("POST", _messages_path(inbox), data=form, auth=_auth(inbox))
        answer = answer_json(response)
        if response.status_code in (200, 201) and answer.get("sid"):
            return SendReceipt(provider_message_id=answer["sid"])
        code = str(answer.get("code") or "")
        reason = twilio_error_in_words(code, fallback=str(answer.get("message") or response.reason_phrase))
        if response.status_code == 429 or response.status_code >= 500:
            raise transient_for_status(response, reason, code)
        raise PermanentDeliveryError(reason, code=code or str(response.status_code))

    def find_accepted(self, message: Message, *, since: datetime) -> SendReceipt | None:
        """Twilio lists an account's messages by recipient and sender, newest first: the one
        with our text created after the lost attempt began is ours."""
        inbox = message.conversation.inbox
        params = {"To": recipient(message), "PageSize": "50"}
        if phone := (inbox.config or {}).get("phone_number"):
            params["From"] = phone
        response = _api(inbox).request("GET", _messages_path(inbox), params=params, auth=_auth(inbox))
        if response.status_code != 200:
            raise transient_for_status(response, "Twilio could not list messages to check a lost answer.")
        earliest = since - timedelta(minutes=1)  # the provider's clock may be behind ours
        for sent in answer_json(response).get("messages", []):
            created = _twilio_time(sent.get("date_created"))
            if sent.get("body") == message.body and (created is None or created >= earliest):
                return SendReceipt(provider_message_id=sent["sid"])
        return None

    def fetch_media(self, inbox: Inbox, media: InboundMedia) -> FetchedMedia:
        # Media URLs are under api.twilio.com and need the account's credentials (when the
        # account requires HTTP auth for media, which is the safe setting).
        response = ProviderClient(base_url="").request("GET", media.reference, auth=_auth(inbox))
        if response.status_code != 200:
            raise transient_for_status(response, f"Twilio answered {response.status_code} for the media.")
        return FetchedMedia(response.content, response.headers.get("Content-Type", media.mime_type))


def _api(inbox: Inbox) -> ProviderClient:
    return ProviderClient(base_url=settings.TWILIO_API_URL)


def _auth(inbox: Inbox) -> tuple[str, str]:
    return config_value(inbox, "account_sid"), config_value(inbox, "auth_token")


def _messages_path(inbox: Inbox) -> str:
    return f"/2010-04-01/Accounts/{config_value(inbox, 'account_sid')}/Messages.json"


def _sender_fields(inbox: Inbox) -> dict[str, str]:
    """A Messaging Service picks the number itself; otherwise the inbox's own number sends."""
    if service := (inbox.config or {}).get("messaging_service_sid"):
        return {"MessagingServiceSid": str(service)}
    return {"From": config_value(inbox, "phone_number")}


def _count(raw: str) -> int:
    try:
        return max(0, min(int(raw or 0), MAX_MEDIA))
    except ValueError:
        return 0


def _twilio_time(raw: object) -> datetime | None:
    try:
        return parsedate_to_datetime(str(raw)) if raw else None
    except (TypeError, ValueError):
        return None
