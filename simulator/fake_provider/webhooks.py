"""The provider side of webhooks: bodies shaped as Twilio, Meta and Telegram post them, their
signatures, and helpers that post them to Parley.

Every builder reproduces the fixtures in tests/fixtures byte for byte when given the
fixtures' ids and times (tests/channels/test_fake_provider.py holds them to that), so what tests
and the simulator send is what production will receive.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from .state import TWILIO_ACCOUNT_SID
from .wire import new_mid, new_wamid

FormParams = Sequence[tuple[str, str]] | Mapping[str, str | Sequence[str]]
TwilioMedia = tuple[str, str] | Mapping[str, Any]

WABA_ID = "102290129340398"
DISPLAY_PHONE_NUMBER = "15550783881"
META_PROVIDERS = ("meta", "whatsapp", "messenger", "instagram")
_ERROR_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
# Titles and details WhatsApp gives the failures a status webhook reports most often.
WHATSAPP_STATUS_ERRORS = {
    131047: (
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last "
        "replied to this number.",
    ),
    131026: ("Message undeliverable", "Message Undeliverable."),
    131049: ("This message was not delivered to maintain healthy ecosystem engagement.", ""),
}
_message_ids = itertools.count(5000)


# --- signatures ---


def twilio_signature(auth_token: str, url: str, params: FormParams) -> str:
    """X-Twilio-Signature: base64(HMAC-SHA1(auth_token, url + name+value for each parameter,
    sorted by name, then by value)), as the official RequestValidator computes it (it drops
    repeated identical pairs, so this does too)."""
    grouped: dict[str, set[str]] = {}
    pairs = params.items() if isinstance(params, Mapping) else params
    for name, value in pairs:
        values = [value] if isinstance(value, str) else list(value)
        grouped.setdefault(name, set()).update(values)
    signed = url + "".join(name + value for name in sorted(grouped) for value in sorted(grouped[name]))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def meta_signature(app_secret: str, body: bytes) -> str:
    """X-Hub-Signature-256 over the exact bytes posted."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


# --- Twilio (application/x-www-form-urlencoded, as ordered pairs) ---


def twilio_inbound_sms(
    to: str,
    from_: str,
    body: str,
    media: Sequence[TwilioMedia] = (),
    messaging_service_sid: str | None = None,
    *,
    message_sid: str | None = None,
    account_sid: str = TWILIO_ACCOUNT_SID,
    num_segments: int = 1,
    country: str = "US",
) -> list[tuple[str, str]]:
    """An inbound SMS (or MMS when `media` is given: (url, content_type) pairs, or the dicts
    FakeProvider.add_media returns) as Twilio posts it."""
    attachments = [_twilio_media(item) for item in media]
    sid = message_sid or ("MM" if attachments else "SM") + secrets.token_hex(16)
    params = [
        ("ToCountry", country),
        ("SmsMessageSid", sid),
        ("NumMedia", str(len(attachments))),
        ("SmsSid", sid),
        ("SmsStatus", "received"),
        ("Body", body),
        ("FromCountry", country),
        ("To", to),
        ("NumSegments", str(num_segments)),
        ("MessageSid", sid),
        ("AccountSid", account_sid),
        ("From", from_),
        ("ApiVersion", "2010-04-01"),
    ]
    for index, (url, content_type) in enumerate(attachments):
        params += [(f"MediaContentType{index}", content_type), (f"MediaUrl{index}", url)]
    if messaging_service_sid:
        params.append(("MessagingServiceSid", messaging_service_sid))
    return params


def _twilio_media(item: TwilioMedia) -> tuple[str, str]:
    if isinstance(item, Mapping):
        return str(item["twilio_url"]), str(item["mime_type"])
    return item[0], item[1]


def twilio_status(
    message_sid: str,
    status: str,
    error_code: str | int | None = None,
    *,
    to: str,
    from_: str,
    account_sid: str = TWILIO_ACCOUNT_SID,
    messaging_service_sid: str | None = None,
) -> list[tuple[str, str]]:
    """A status callback (sent, delivered, undelivered, failed, read) for an outbound message."""
    params = [("SmsSid", message_sid), ("SmsStatus", status), ("MessageStatus", status)]
    if error_code is not None:
        params.append(("ErrorCode", str(error_code)))
    params += [
        ("To", to),
        ("MessageSid", message_sid),
        ("AccountSid", account_sid),
        ("From", from_),
        ("ApiVersion", "2010-04-01"),
    ]
    if messaging_service_sid:
        params.append(("MessagingServiceSid", messaging_service_sid))
    return params


# --- Meta: WhatsApp Cloud API, Messenger, Instagram (compact JSON, signed as bytes) ---


def compact(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _whatsapp_envelope(phone_number_id: str, value: dict[str, Any], waba_id: str, display: str) -> bytes:
    metadata = {"display_phone_number": display, "phone_number_id": phone_number_id}
    change = {"value": {"messaging_product": "whatsapp", "metadata": metadata, **value}, "field": "messages"}
    return compact({"object": "whatsapp_business_account", "entry": [{"id": waba_id, "changes": [change]}]})


def whatsapp_message(
    phone_number_id: str,
    wa_id: str,
    name: str,
    message: dict[str, Any],
    wamid: str | None,
    timestamp: str | int | None,
    waba_id: str,
    display: str,
    context_id: str | None = None,
) -> bytes:
    """One customer message; `context_id` names the business's message it answers (a button tap)."""
    head = {"context": {"from": display, "id": context_id}} if context_id else {}
    head |= {"from": wa_id, "id": wamid or new_wamid(), "timestamp": str(timestamp or int(time.time()))}
    value = {
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [{**head, **message}],
    }
    return _whatsapp_envelope(phone_number_id, value, waba_id, display)


def whatsapp_text(
    phone_number_id: str,
    wa_id: str,
    name: str,
    body: str,
    wamid: str | None = None,
    timestamp: str | int | None = None,
    *,
    waba_id: str = WABA_ID,
    display_phone_number: str = DISPLAY_PHONE_NUMBER,
) -> bytes:
    message = {"type": "text", "text": {"body": body}}
    return whatsapp_message(
        phone_number_id, wa_id, name, message, wamid, timestamp, waba_id, display_phone_number
    )


def whatsapp_image(
    phone_number_id: str,
    wa_id: str,
    name: str,
    media_id: str,
    caption: str | None = None,
    wamid: str | None = None,
    timestamp: str | int | None = None,
    *,
    mime_type: str = "image/jpeg",
    sha256: str | None = None,
    waba_id: str = WABA_ID,
    display_phone_number: str = DISPLAY_PHONE_NUMBER,
) -> bytes:
    """`media_id` is what GET /{version}/{media_id} resolves (FakeProvider.add_media's graph_id)."""
    image: dict[str, Any] = {} if caption is None else {"caption": caption}
    image.update(mime_type=mime_type, sha256=sha256 or secrets.token_hex(32), id=media_id)
    message = {"type": "image", "image": image}
    return whatsapp_message(
        phone_number_id, wa_id, name, message, wamid, timestamp, waba_id, display_phone_number
    )


def whatsapp_status(
    phone_number_id: str,
    wamid: str,
    status: str,
    recipient_id: str,
    timestamp: str | int | None = None,
    error_code: int | None = None,
    *,
    conversation_id: str | None = None,
    waba_id: str = WABA_ID,
    display_phone_number: str = DISPLAY_PHONE_NUMBER,
) -> bytes:
    """A status webhook: sent/delivered carry the conversation and pricing, failed its errors."""
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp or int(time.time())),
        "recipient_id": recipient_id,
    }
    if error_code is not None:
        title, details = WHATSAPP_STATUS_ERRORS.get(error_code, ("Error", ""))
        error = {"code": error_code, "title": title, "message": title, "error_data": {"details": details}}
        entry["errors"] = [{**error, "href": _ERROR_HREF}]
    elif status in ("sent", "delivered"):
        conversation = {"id": conversation_id or secrets.token_hex(16), "origin": {"type": "service"}}
        entry["conversation"] = conversation
        entry["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service"}
    return _whatsapp_envelope(phone_number_id, {"statuses": [entry]}, waba_id, display_phone_number)


def messaging_body(
    object_type: str, page_id: str, sender: str, message: dict[str, Any], time_ms: int | None
) -> bytes:
    """Messenger and Instagram share the `messaging` envelope; only `object` differs."""
    sent_at = time_ms or int(time.time() * 1000)
    event = {"sender": {"id": sender}, "recipient": {"id": page_id}, "timestamp": sent_at, "message": message}
    # Meta stamps the entry a little after the event itself (the fixtures show 123 ms).
    return compact(
        {"object": object_type, "entry": [{"id": page_id, "time": sent_at + 123, "messaging": [event]}]}
    )


def messenger_text(
    page_id: str, psid: str, text: str, mid: str | None = None, *, time_ms: int | None = None
) -> bytes:
    return messaging_body("page", page_id, psid, {"mid": mid or new_mid(), "text": text}, time_ms)


def messenger_image(
    page_id: str, psid: str, url: str, mid: str | None = None, *, time_ms: int | None = None
) -> bytes:
    attachment = {"type": "image", "payload": {"url": url}}
    return messaging_body(
        "page", page_id, psid, {"mid": mid or new_mid(), "attachments": [attachment]}, time_ms
    )


def instagram_text(
    instagram_id: str, igsid: str, text: str, mid: str | None = None, *, time_ms: int | None = None
) -> bytes:
    return messaging_body("instagram", instagram_id, igsid, {"mid": mid or new_mid(), "text": text}, time_ms)


# --- Telegram (Bot API updates) ---


def telegram_people(
    chat_id: int, first_name: str, last_name: str | None, username: str | None, language_code: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    names = {"first_name": first_name}
    names.update({k: v for k, v in (("last_name", last_name), ("username", username)) if v})
    sender = {"id": chat_id, "is_bot": False, **names}
    if language_code:
        sender["language_code"] = language_code
    return sender, {"id": chat_id, **names, "type": "private"}


def _telegram_update(update_id: int, chat_id: int, people: dict[str, Any], content: dict[str, Any]) -> bytes:
    sender, chat = telegram_people(chat_id, **people)
    message_id = content.pop("message_id", None) or next(_message_ids)
    date = content.pop("date", None) or int(time.time())
    message = {"message_id": message_id, "from": sender, "chat": chat, "date": date, **content}
    return compact({"update_id": update_id, "message": message})


def telegram_text(
    update_id: int,
    chat_id: int,
    first_name: str,
    text: str,
    *,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> bytes:
    people = {"first_name": first_name, "last_name": last_name, "username": username}
    content = {"message_id": message_id, "date": date, "text": text}
    return _telegram_update(update_id, chat_id, {**people, "language_code": language_code}, content)


def telegram_photo(
    update_id: int,
    chat_id: int,
    first_name: str,
    file_id: str,
    caption: str | None = None,
    *,
    sizes: Sequence[Mapping[str, Any]] | None = None,
    language_code: str | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> bytes:
    """A photo message: `file_id` is the largest size (what getFile should resolve; see
    FakeProvider.add_media's telegram_file_id); `sizes` replaces the generated size list."""
    photo = [dict(size) for size in sizes] if sizes else [_photo_size(file_id)]
    content: dict[str, Any] = {"message_id": message_id, "date": date}
    if caption is not None:
        content["caption"] = caption
    content["photo"] = photo
    people = {"first_name": first_name, "last_name": None, "username": None, "language_code": language_code}
    return _telegram_update(update_id, chat_id, people, content)


def _photo_size(file_id: str) -> dict[str, Any]:
    unique = "AQAD" + hashlib.sha256(file_id.encode()).hexdigest()[:12]
    return {"file_id": file_id, "file_unique_id": unique, "file_size": 48211, "width": 1280, "height": 960}


# --- posting ---


def signed_request(
    webhook_url: str, provider: str, body: bytes | FormParams, secret: str
) -> tuple[bytes, dict[str, str]]:
    """The bytes and headers a provider posts: for "twilio", `body` is the form (pairs or a
    dict) and `secret` the auth token; for "meta" (or whatsapp/messenger/instagram), the JSON
    bytes and the app secret; for "telegram", the JSON bytes and the webhook's secret token."""
    if provider == "twilio":
        if isinstance(body, bytes):
            raise TypeError("a Twilio webhook body is its form parameters, not bytes")
        pairs = list(body.items()) if isinstance(body, Mapping) else list(body)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_signature(secret, webhook_url, pairs),
        }
        return urlencode(pairs, doseq=True).encode(), headers
    if not isinstance(body, bytes):
        raise TypeError(f"a {provider} webhook body is the JSON bytes exactly as signed")
    if provider in META_PROVIDERS:
        return body, {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(secret, body)}
    if provider == "telegram":
        return body, {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
    raise ValueError(f"unknown provider {provider!r}")


def post_signed(
    webhook_url: str,
    provider: str,
    body: bytes | FormParams,
    secret: str,
    *,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST a webhook as the provider would; `headers` adds or overrides (say, a broken signature)."""
    content, signed_headers = signed_request(webhook_url, provider, body, secret)
    signed_headers.update(headers or {})
    if client is not None:
        return client.post(webhook_url, content=content, headers=signed_headers, timeout=timeout)
    return httpx.post(webhook_url, content=content, headers=signed_headers, timeout=timeout)


def post_twilio(webhook_url: str, params: FormParams, auth_token: str, **options: Any) -> httpx.Response:
    return post_signed(webhook_url, "twilio", params, auth_token, **options)


def post_meta(webhook_url: str, body: bytes, app_secret: str, **options: Any) -> httpx.Response:
    return post_signed(webhook_url, "meta", body, app_secret, **options)


def post_telegram(webhook_url: str, body: bytes, secret_token: str, **options: Any) -> httpx.Response:
    return post_signed(webhook_url, "telegram", body, secret_token, **options)
