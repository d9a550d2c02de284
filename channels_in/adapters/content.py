"""What adapters share beyond the interface: who a reply goes to, a message sent in parts, JSON
answers, and the words for content that arrives as something other than text."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from conversations.boundary import read_json
from conversations.models import Inbox, Message

from .base import PermanentDeliveryError, SendReceipt, TransientDeliveryError, WebhookRequest

EXCERPT_LENGTH = 60


def webhook_json(request: WebhookRequest) -> dict[str, Any]:
    """The verified body; anything but a UTF-8 JSON object within the boundary's depth is a
    malformed webhook (400). Text Postgres cannot store is kept here: nobody can correct a signed
    event, so its receipt is stored with those characters replaced (receipts.receipts_store)."""
    payload = read_json(request.body, refuse_unstorable=False)
    if not isinstance(payload, dict):
        raise ValueError("the webhook body is not a JSON object")
    return payload


def answer_json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def send_parts(parts: Sequence[Callable[[], str]]) -> SendReceipt:
    """One Parley message that the provider takes as several (a file, then the text): the parts
    go in order and the receipt is the last one's id. A refusal after a part was accepted fails
    the message for good, saying so: retrying it would send the accepted parts a second time."""
    provider_id = ""
    for number, part in enumerate(parts):
        try:
            provider_id = part()
        except (TransientDeliveryError, PermanentDeliveryError) as error:
            if number == 0:
                raise
            raise PermanentDeliveryError(
                f"Only part of the message was sent ({number} of {len(parts)} parts): {error.reason} "
                "Retrying sends the whole message again.",
                code="partly_sent",
            ) from error
    return SendReceipt(provider_message_id=provider_id)


def recipient(message: Message) -> str:
    """The customer's id on this inbox: WhatsApp id, page-scoped id, chat id."""
    conversation = message.conversation
    source_id = (
        conversation.contact.identities.filter(inbox_id=conversation.inbox_id)
        .values_list("source_id", flat=True)
        .first()
    )
    if not source_id:
        raise PermanentDeliveryError(
            "This customer has not written to this inbox, so there is no one to send to.", code="no_recipient"
        )
    return source_id


def excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def quoted_message(inbox: Inbox, provider_message_id: str) -> str:
    """A stored message's text, shortened, for a reaction's body ('' when unknown)."""
    if not provider_message_id:
        return ""
    body = (
        Message.objects.filter(inbox=inbox, provider_message_id=provider_message_id)
        .values_list("body", flat=True)
        .first()
    )
    return excerpt(body) if body else ""


def reaction_body(emoji: str, quoted: str) -> str:
    target = f"“{quoted}”" if quoted else "a message"
    return f"Reacted {emoji} to {target}" if emoji else f"Removed their reaction from {target}"


def location_body(latitude: object, longitude: object, name: str = "", address: str = "") -> str:
    place = ", ".join(part for part in (name, address) if part)
    link = f"https://maps.google.com/?q={latitude},{longitude}"
    return f"Shared a location: {place}\n{link}" if place else f"Shared a location:\n{link}"


def unsupported_body(kind: str, details: str = "") -> str:
    extra = f" ({details})" if details else ""
    return f"The customer sent {kind}{extra}, which Parley cannot show yet: ask them to send it another way."


def from_unix(seconds: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(str(seconds)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):  # OSError: beyond the platform's time_t
        return None
