"""The API channel: the business's own app is the channel (docs/channels.md, "API channel").

Inbound there is no provider webhook: the business's backend posts its customers' messages to
/api/v1/channel/ (channels_in/api_channel/). Outbound, each agent's reply is POSTed as signed
JSON to the business's `webhook_url`, signed like every Parley webhook (docs/webhooks.md):

    POST /parley/replies HTTP/1.1
    Content-Type: application/json
    Parley-Event: message.created
    Parley-Delivery: message-981
    Parley-Signature: t=1736155812,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

    {"type": "message.created", "created_at": "2025-01-06T09:31:40.120113+00:00",
     "data": {"conversation": {"id": 42, "inbox_id": 3},
              "contact": {"id": 7, "source_id": "user-1234"},
              "message": {"id": 981, "seq": 13, "sender": {"kind": "agent", "agent_id": 5, "name": "Ana"},
                          "content_type": "text", "body": "It ships today.", "attachments": [],
                          "actions": [], "created_at": "2025-01-06T09:31:40.120113+00:00"}}}

Parley-Delivery is the same on every try of one message, so the business can drop repeats.
`actions` are the replies a bot offers ([{"id", "title"}]): the app draws them as buttons, and
posts the customer's pick back as their message, with the title as its body.

Inbox.config: webhook_url, webhook_secret, api_token (the last two made by
`manage.py api_channel_credentials <inbox public key>`).
"""

import ipaddress
import json
import socket
import time
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from api_common.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign
from conversations.models import Attachment, ChannelType, ContactIdentity, Inbox, Message, OutboundDelivery
from conversations.payloads import sender_payload
from conversations.services import MAX_DELIVERY_ATTEMPTS

from .base import (
    CannotTell,
    FetchedMedia,
    InboundEvent,
    InboundMedia,
    PermanentDeliveryError,
    ProviderClient,
    SendReceipt,
    SignatureMismatch,
    TransientDeliveryError,
    WebhookAnswer,
    WebhookRequest,
    config_value,
    transient_for_status,
)

EVENT = "message.created"
USER_AGENT = "Parley-API-Channel/1"
MAX_REASON_TEXT = 200


def delivery_id(message: Message) -> str:
    """Stable across every try of the message (and an agent's Retry): the business's dedupe key."""
    return f"message-{message.pk}"


def reply_payload(message: Message) -> dict[str, Any]:
    conversation = message.conversation
    source_id = (
        ContactIdentity.objects.filter(inbox_id=conversation.inbox_id, contact_id=conversation.contact_id)
        .values_list("source_id", flat=True)
        .first()
    )
    sender = sender_payload(message)
    return {
        "type": EVENT,
        "created_at": message.created_at.isoformat(),
        "data": {
            "conversation": {"id": conversation.pk, "inbox_id": conversation.inbox_id},
            "contact": {"id": conversation.contact_id, "source_id": source_id or ""},
            "message": {
                "id": message.pk,
                "seq": message.seq,
                "sender": {
                    "kind": sender["kind"],
                    "agent_id": sender.get("agent_id"),
                    "name": sender.get("name", ""),
                },
                "content_type": message.content_type,
                "body": message.body,
                "attachments": [
                    {
                        "url": attachment_url(attachment),
                        "mime_type": attachment.mime_type,
                        "name": attachment.file_name,
                        "size": attachment.byte_size,
                    }
                    for attachment in message.attachments.all()
                ],
                "actions": message.actions,
                "created_at": message.created_at.isoformat(),
            },
        },
    }


class ApiChannelAdapter:
    slug: ClassVar[str] = "api"
    channel_types: ClassVar[tuple[str, ...]] = (ChannelType.API,)

    def verify(self, inbox: Inbox, request: WebhookRequest) -> None:
        # Customers' messages arrive over the REST endpoints with the inbox's token, never as a
        # webhook: /hooks/api/<key>/ has nothing to accept.
        raise SignatureMismatch("The API channel takes messages at /api/v1/channel/, not as webhooks.")

    def handshake(self, inbox: Inbox, request: WebhookRequest) -> str | None:
        return None

    def answer(self, request: WebhookRequest) -> WebhookAnswer | None:
        return None

    def parse(self, inbox: Inbox, request: WebhookRequest) -> list[InboundEvent]:
        return []

    def send(self, message: Message) -> SendReceipt:
        inbox = message.conversation.inbox
        url = _webhook_url(inbox)
        secret = config_value(inbox, "webhook_secret")
        body = json.dumps(reply_payload(message), ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(secret, body, int(time.time())),
            DELIVERY_HEADER: delivery_id(message),
            EVENT_HEADER: EVENT,
        }
        try:
            response = ProviderClient(base_url="").request("POST", url, content=body, headers=headers)
        except httpx.InvalidURL as error:
            raise PermanentDeliveryError(
                f"The inbox “{inbox.name}” has a webhook_url Parley cannot use: {error}",
                code="not_configured",
            ) from error
        if 200 <= response.status_code < 300:
            # Our own id, not one the business may answer with: provider ids are unique per inbox,
            # and a business echoing the same id twice must not break delivery.
            return SendReceipt(provider_message_id=f"api-{message.pk}")
        reason = _refusal_in_words(response)
        if response.status_code in (408, 425, 429) or response.status_code >= 500:
            raise transient_for_status(response, reason)
        raise PermanentDeliveryError(reason, code=str(response.status_code))

    def find_accepted(self, message: Message, *, since: datetime) -> SendReceipt | None:
        """The business cannot be asked whether a reply arrived, but it need not be: every try of
        a message carries the same Parley-Delivery id, which the business deduplicates on (as for
        every Parley webhook, docs/webhooks.md). So a lost answer is settled by sending again:
        None here means "not known to have arrived; sending is safe", not CannotTell, which would
        fail the message and leave the customer without a reply an agent has to notice.

        Except once the attempts are spent: a lost answer is never counted against them (the
        core cannot tell it from a refusal), so an endpoint that always answers too late would
        be sent to forever. Then CannotTell fails the message, saying it may have arrived."""
        attempts = OutboundDelivery.objects.filter(message_id=message.pk).values_list("attempts", flat=True)
        if (attempts.first() or 0) > MAX_DELIVERY_ATTEMPTS:
            raise CannotTell(f"{MAX_DELIVERY_ATTEMPTS} attempts ended without the business's answer.")
        return None

    def fetch_media(self, inbox: Inbox, media: InboundMedia) -> FetchedMedia:
        """A file the business posted by URL. The URL comes from an API caller, not an admin, so
        Parley fetches only what is outside its own network (or on the inbox's `media_hosts`)."""
        _check_media_host(inbox, media.reference)
        response = ProviderClient(base_url="").request("GET", media.reference)
        if response.status_code == 429 or response.status_code >= 500:
            raise transient_for_status(response, f"The file's server answered {response.status_code}.")
        if response.status_code != 200:
            raise PermanentDeliveryError(
                f"The file's server answered {response.status_code}; it stays a link.", code="not_fetched"
            )
        mime_type = response.headers.get("Content-Type", "").split(";")[0].strip() or media.mime_type
        return FetchedMedia(response.content, mime_type, media.file_name)


def attachment_url(attachment: Attachment) -> str:
    """Absolute: the stored file (under PUBLIC_URL, or the storage's own signed URL), else the
    link the business posted."""
    if attachment.file:
        url = attachment.file.url
        return url if url.startswith(("https://", "http://")) else settings.PUBLIC_URL + url
    return attachment.remote_url


def _check_media_host(inbox: Inbox, url: str) -> None:
    """Refuse a URL that leads inside Parley's network (loopback, private, link-local: the cloud's
    metadata service), so a leaked inbox token cannot make Parley read internal hosts. With
    `media_hosts` in the inbox's config, only those hosts are fetched, private ones included.
    (A name that resolves again differently between this check and the fetch is not caught.)"""
    parts = urlsplit(url)
    host = parts.hostname or ""
    listed = (inbox.config or {}).get("media_hosts")
    if isinstance(listed, list) and listed:
        if host not in {str(name).lower() for name in listed}:
            raise PermanentDeliveryError(f"{host} is not one of the inbox's media_hosts.", code="not_fetched")
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except ValueError as error:
        raise PermanentDeliveryError(f"The file's URL is malformed: {error}", code="not_fetched") from error
    except OSError as error:
        raise TransientDeliveryError(f"Could not resolve {host}: {error}", code="unresolved") from error
    for *_, address in found:
        if not ipaddress.ip_address(str(address[0]).split("%")[0]).is_global:
            raise PermanentDeliveryError(
                f"{host} is not a public address, so Parley does not fetch from it (list it in the "
                "inbox's media_hosts to allow it).",
                code="not_fetched",
            )


def _webhook_url(inbox: Inbox) -> str:
    url = config_value(inbox, "webhook_url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentDeliveryError(
            f"The inbox “{inbox.name}” has a webhook_url that is not an http(s) address "
            "(Admin → Inboxes → Config).",
            code="not_configured",
        )
    return url


def _refusal_in_words(response: httpx.Response) -> str:
    code = response.status_code
    if 300 <= code < 400:
        return (
            f"The business's webhook_url redirects (HTTP {code}), and Parley does not follow redirects: "
            "set the final address in the inbox's config."
        )
    if code == 410:
        return "The business's server answered 410 Gone: it no longer takes replies for this customer."
    if code in (401, 403):
        return (
            f"The business's server refused the reply's signature (HTTP {code}): it must verify with "
            "this inbox's webhook_secret."
        )
    if code == 404:
        return "The business's webhook_url was not found (HTTP 404): check it in the inbox's config."
    explained = _their_words(response)
    where = "server had a problem" if code >= 500 else "server refused the reply"
    return f"The business's {where} (HTTP {code})" + (f": {explained}" if explained else ".")


def _their_words(response: httpx.Response) -> str:
    """The business's own reason, when its answer gives one (JSON detail/error/message, or text)."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        for key in ("detail", "error", "message"):
            if isinstance(answer.get(key), str) and answer[key].strip():
                return _short(answer[key])
        return ""
    if response.headers.get("Content-Type", "").startswith("text/plain"):
        return _short(response.text)
    return ""


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON_TEXT else text[: MAX_REASON_TEXT - 1] + "…"
