"""Telegram Bot API: one bot per inbox.

Inbound: the webhook set with setWebhook(url, secret_token=…) posts one Update per request, with
the secret verbatim in X-Telegram-Bot-Api-Secret-Token (fixtures/telegram/update_text.json):
    {"update_id": 987654321, "message": {"message_id": 1365, "from": {"id": 111222333, …},
     "chat": {"id": 111222333, "first_name": "Ana", "last_name": "Silva", "type": "private"},
     "date": 1795103800, "text": "Olá! Preciso de ajuda com minha assinatura"}}
Message ids are numbered per chat, so Parley's provider id is "<chat id>:<message id>".

An edited message arrives as "edited_message" with the same message id. Parley keeps what the
agent already saw and adds a new message, "Edited their message “old” to: new", keyed by the edit's
time: the agent learns of the change, and the transcript shows both versions.

Telegram sends no delivery or read reports to bots, so a sent message stays "sent".

Offered replies (Message.actions) go as an inline keyboard on the message, one button a row, the
reply's id as callback_data (fixtures/telegram/update_callback_query.json). A tap arrives as a
"callback_query" naming the tapped message (with its keyboard, while Telegram still has it);
Parley stores it as the customer's message whose body is the button's title, keyed by the query's
id. The webhook's 200 answers the query (answerCallbackQuery, as a JSON body: the Bot API runs a
method named in a webhook's reply), so the button stops spinning without an outbound call.

Outbound: sendMessage, sendPhoto (jpeg/png by URL) and sendDocument (by URL for the PDF, ZIP
and GIF files Telegram fetches itself, else uploaded), with the text as the first file's caption
and the keyboard on the last part sent.

Inbox.config: bot_token, secret_token.
"""

import json
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

import httpx
from django.conf import settings

from conversations.models import Attachment, ChannelType, Inbox, Message

from .base import (
    CannotTell,
    FetchedMedia,
    InboundEvent,
    InboundMedia,
    InboundMessage,
    PermanentDeliveryError,
    ProviderClient,
    SendReceipt,
    SignatureMismatch,
    TransientDeliveryError,
    WebhookAnswer,
    WebhookRequest,
    config_value,
    media_url,
    retry_after_seconds,
    same_secret,
)
from .buttons import buttons_for, drawn_actions, offered_title, title_of
from .content import (
    answer_json,
    excerpt,
    from_unix,
    location_body,
    quoted_message,
    recipient,
    send_parts,
    unsupported_body,
    webhook_json,
)
from .errors import telegram_error_in_words

CAPTION_LIMIT = 1024
CALLBACK_DATA_BYTES = 64
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
FETCHED_BY_URL = frozenset({"application/pdf", "application/zip", "image/gif"})  # sendDocument by URL
# Content a message carries, in the order checked (an animation also comes with a "document").
FILE_KINDS = {
    "animation": "video/mp4",
    "document": "application/octet-stream",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "video_note": "video/mp4",
}
UNSUPPORTED_KINDS = {
    "poll": "a poll",
    "dice": "a dice roll",
    "game": "a game",
    "story": "a story",
    "invoice": "an invoice",
    "paid_media": "paid media",
    "giveaway": "a giveaway",
}
# Group and chat events, not something a customer wrote: left out.
SERVICE_KEYS = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "new_chat_photo",
        "delete_chat_photo",
        "group_chat_created",
        "supergroup_chat_created",
        "channel_chat_created",
        "message_auto_delete_timer_changed",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "pinned_message",
        "successful_payment",
        "users_shared",
        "chat_shared",
        "write_access_allowed",
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        "video_chat_started",
        "video_chat_ended",
        "video_chat_scheduled",
        "video_chat_participants_invited",
    }
)

Content = tuple[str, tuple[InboundMedia, ...], bool] | None  # body, media, unsupported; None: ignore


class TelegramAdapter:
    slug: ClassVar[str] = "telegram"
    channel_types: ClassVar[tuple[str, ...]] = (ChannelType.TELEGRAM,)

    def verify(self, inbox: Inbox, request: WebhookRequest) -> None:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not same_secret(given, str((inbox.config or {}).get("secret_token") or "")):
            raise SignatureMismatch("X-Telegram-Bot-Api-Secret-Token is not this inbox's secret token")

    def handshake(self, inbox: Inbox, request: WebhookRequest) -> str | None:
        return None  # setWebhook is a call Parley makes; Telegram sends no GET to confirm

    def parse(self, inbox: Inbox, request: WebhookRequest) -> list[InboundEvent]:
        update = webhook_json(request)
        if isinstance(update.get("message"), dict):
            event = _inbound(update["message"])
        elif isinstance(update.get("edited_message"), dict):
            event = _edited(inbox, update["edited_message"])
        elif isinstance(update.get("callback_query"), dict):
            event = _button_tapped(inbox, update["callback_query"])
        else:
            event = None  # channel posts, membership changes: nothing to show
        return [event] if event is not None else []

    def answer(self, request: WebhookRequest) -> WebhookAnswer | None:
        query = webhook_json(request).get("callback_query")
        if not isinstance(query, dict) or not query.get("id"):
            return None
        call = {"method": "answerCallbackQuery", "callback_query_id": str(query["id"])}
        return WebhookAnswer(json.dumps(call), "application/json")

    def send(self, message: Message) -> SendReceipt:
        inbox = message.conversation.inbox
        token = config_value(inbox, "bot_token")
        chat_id = recipient(message)
        attachments = list(message.attachments.all())
        caption = message.body if attachments and len(message.body) <= CAPTION_LIMIT else ""
        text_alone = bool(message.body and not caption)
        keyboard = _keyboard(drawn_actions(message))  # on the last part: the one whose id Parley keeps
        parts: list[Callable[[], str]] = [
            partial(
                _send_file,
                token,
                chat_id,
                attachment,
                caption if index == 0 else "",
                keyboard if index == len(attachments) - 1 and not text_alone else {},
            )
            for index, attachment in enumerate(attachments)
        ]
        if text_alone:
            fields = {"chat_id": chat_id, "text": message.body, **keyboard}
            parts.append(partial(_call, token, "sendMessage", fields))
        return send_parts(parts)

    def find_accepted(self, message: Message, *, since: datetime) -> SendReceipt | None:
        raise CannotTell("The Bot API cannot list the messages a bot sent.")

    def fetch_media(self, inbox: Inbox, media: InboundMedia) -> FetchedMedia:
        """getFile gives a path valid for an hour; the file is under /file/bot<token>/."""
        token = config_value(inbox, "bot_token")
        response = _api().request("GET", f"/bot{token}/getFile", params={"file_id": media.reference})
        answer = answer_json(response)
        result = answer.get("result") if isinstance(answer.get("result"), dict) else {}
        file_path = str(result.get("file_path") or "")
        if response.status_code != 200 or not answer.get("ok") or not file_path:
            raise _refusal(response, answer)
        if ".." in file_path.split("/") or file_path.startswith("/"):
            raise PermanentDeliveryError("Telegram gave an unexpected file path.", code="bad_file_path")
        download = _api().request("GET", f"/file/bot{token}/{file_path}")
        if download.status_code == 404:  # the path from getFile lasts an hour
            raise PermanentDeliveryError("Telegram no longer has this file.", code="404")
        if download.status_code != 200:
            raise _refusal(download, answer_json(download))
        mime_type = download.headers.get("Content-Type", media.mime_type).split(";")[0].strip()
        return FetchedMedia(download.content, mime_type, media.file_name or file_path.rsplit("/", 1)[-1])


def _api() -> ProviderClient:
    return ProviderClient(base_url=settings.TELEGRAM_API_URL)


def _call(token: str, method: str, fields: dict[str, Any], files: dict[str, Any] | None = None) -> str:
    """One Bot API call that sends a message; its id as Parley keeps it: "<chat id>:<message id>"."""
    path = f"/bot{token}/{method}"
    response = (
        _api().request("POST", path, data=fields, files=files)
        if files
        else _api().request("POST", path, json=fields)
    )
    answer = answer_json(response)
    result = answer.get("result")
    if response.status_code == 200 and answer.get("ok") and isinstance(result, dict):
        if not result.get("message_id"):
            raise TransientDeliveryError(
                "Telegram answered without the message's id.", code="no_message_id", ambiguous=True
            )
        chat_id = (result.get("chat") or {}).get("id", fields["chat_id"])
        return f"{chat_id}:{result['message_id']}"
    raise _refusal(response, answer)


def _keyboard(actions: list[dict[str, str]]) -> dict[str, Any]:
    """The reply_markup for offered replies, one button a row ({} for none)."""
    if not actions:
        return {}
    rows = [
        [{"text": button.title, "callback_data": button.id}]
        for button in buttons_for(actions, id_bytes=CALLBACK_DATA_BYTES)
    ]
    return {"reply_markup": {"inline_keyboard": rows}}


def _send_file(
    token: str, chat_id: str, attachment: Attachment, caption: str, keyboard: dict[str, Any]
) -> str:
    """A photo by URL; a document by URL where Telegram fetches that kind itself, else uploaded
    from storage (Telegram fetches only PDF, ZIP and GIF documents by URL)."""
    fields: dict[str, Any] = {"chat_id": chat_id}
    if caption:
        fields["caption"] = caption
    if attachment.mime_type in PHOTO_TYPES:
        return _call(token, "sendPhoto", {**fields, **keyboard, "photo": media_url(attachment)})
    if attachment.file and attachment.mime_type not in FETCHED_BY_URL:
        with attachment.file.open("rb") as stored:
            content = stored.read()
        upload = {"document": (attachment.file_name or "file", content, attachment.mime_type)}
        if keyboard:  # a multipart form carries the markup as JSON text
            fields["reply_markup"] = json.dumps(keyboard["reply_markup"], ensure_ascii=False)
        return _call(token, "sendDocument", fields, files=upload)
    return _call(token, "sendDocument", {**fields, **keyboard, "document": media_url(attachment)})


def _refusal(
    response: httpx.Response, answer: dict[str, Any]
) -> TransientDeliveryError | PermanentDeliveryError:
    code = str(answer.get("error_code") or response.status_code)
    description = str(answer.get("description") or "")
    reason = telegram_error_in_words(code, description=description)
    if response.status_code == 429 or code == "429":
        parameters = answer.get("parameters") if isinstance(answer.get("parameters"), dict) else {}
        retry_after = parameters.get("retry_after")
        wait = float(retry_after) if isinstance(retry_after, int | float) else retry_after_seconds(response)
        return TransientDeliveryError(reason, code="429", retry_after=wait)
    if response.status_code >= 500:
        reason = f"Telegram answered {response.status_code}; Parley will try again shortly."
        return TransientDeliveryError(reason, code=code)
    return PermanentDeliveryError(reason, code=code)


def _inbound(message: dict[str, Any]) -> InboundMessage | None:
    if (message.get("from") or {}).get("is_bot"):
        return None  # another bot in a group
    content = _content(message)
    if content is None:
        return None
    body, media, unsupported = content
    chat = message["chat"]
    return InboundMessage(
        provider_message_id=f"{chat['id']}:{message['message_id']}",
        source_id=str(chat["id"]),
        body=body,
        media=media,
        contact_name=_name(chat),
        unsupported=unsupported,
        sent_at=from_unix(message.get("date")),
    )


def _edited(inbox: Inbox, message: dict[str, Any]) -> InboundMessage | None:
    """A new message telling the agent what changed: the original stays as they saw it."""
    new_text = str(message.get("text") or message.get("caption") or "")
    if not new_text or (message.get("from") or {}).get("is_bot"):
        return None
    chat = message["chat"]
    original_id = f"{chat['id']}:{message['message_id']}"
    quoted = quoted_message(inbox, original_id)
    before = f"Edited their message “{quoted}” to: " if quoted else "Edited a message to: "
    return InboundMessage(
        provider_message_id=f"{original_id}:edited:{message.get('edit_date') or message.get('date')}",
        source_id=str(chat["id"]),
        body=before + new_text,
        contact_name=_name(chat),
        sent_at=from_unix(message.get("edit_date")),
    )


def _button_tapped(inbox: Inbox, query: dict[str, Any]) -> InboundMessage | None:
    """A tap on an inline button of a message Parley sent: the button's title, from the keyboard
    the update carries or, once Telegram no longer has the message (after 48 hours it sends an
    inaccessible one, without its keyboard), from the offered replies Parley stored with it."""
    message = query.get("message")
    picked = str(query.get("data") or "")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict) or not picked:
        return None  # a button under an inline-mode message, or a game: not a conversation's
    chat = message["chat"]
    shown = [
        {"id": str(button.get("callback_data") or ""), "title": str(button.get("text") or "")}
        for row in ((message.get("reply_markup") or {}).get("inline_keyboard") or [])
        for button in row
        if isinstance(button, dict)
    ]
    tapped = f"{chat['id']}:{message['message_id']}"
    title = offered_title(inbox, picked, provider_message_id=tapped) or title_of(shown, picked)
    return InboundMessage(
        provider_message_id=f"callback:{query['id']}",
        source_id=str(chat["id"]),
        body=title or picked,
        contact_name=_name(chat) or _name(query.get("from") or {}),
    )


def _content(message: dict[str, Any]) -> Content:
    caption = str(message.get("caption") or "")
    if message.get("text"):
        return str(message["text"]), (), False
    if message.get("photo"):
        largest = max(message["photo"], key=lambda size: size.get("width", 0) * size.get("height", 0))
        return caption, (InboundMedia(reference=str(largest["file_id"]), mime_type="image/jpeg"),), False
    if isinstance(message.get("sticker"), dict):
        return _sticker(message["sticker"])
    for kind, default_type in FILE_KINDS.items():
        if isinstance(message.get(kind), dict) and message[kind].get("file_id"):
            found = message[kind]
            media = InboundMedia(
                reference=str(found["file_id"]),
                mime_type=str(found.get("mime_type") or default_type),
                file_name=str(found.get("file_name") or ""),
            )
            return caption, (media,), False
    if isinstance(message.get("venue"), dict):
        venue = message["venue"]
        point = venue.get("location") or {}
        place = (str(venue.get("title") or ""), str(venue.get("address") or ""))
        return location_body(point.get("latitude"), point.get("longitude"), *place), (), False
    if isinstance(message.get("location"), dict):
        point = message["location"]
        return location_body(point.get("latitude"), point.get("longitude")), (), False
    if isinstance(message.get("contact"), dict):
        card = message["contact"]
        person = " ".join(str(card.get(key) or "") for key in ("first_name", "last_name", "phone_number"))
        return unsupported_body("a contact card", " ".join(person.split())), (), True
    if SERVICE_KEYS.intersection(message):
        return None
    kind = next((words for key, words in UNSUPPORTED_KINDS.items() if key in message), "a kind of message")
    return unsupported_body(kind), (), True


def _sticker(sticker: dict[str, Any]) -> Content:
    """A still sticker is a WebP image and a video sticker a WebM video; an animated one is
    Telegram's own vector format, which no browser shows: its emoji stands in."""
    emoji = str(sticker.get("emoji") or "")
    if sticker.get("is_animated"):
        return excerpt(f"Sent a sticker {emoji}"), (), False
    mime_type = "video/webm" if sticker.get("is_video") else "image/webp"
    return "", (InboundMedia(reference=str(sticker["file_id"]), mime_type=mime_type),), False


def _name(chat: dict[str, Any]) -> str:
    if chat.get("title"):  # a group: the conversation is with the group
        return str(chat["title"])
    return " ".join(str(chat.get(key) or "") for key in ("first_name", "last_name")).strip()
