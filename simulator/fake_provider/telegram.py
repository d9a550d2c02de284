"""Telegram's Bot API, the methods Parley calls.

    POST /bot{token}/sendMessage | sendPhoto | sendDocument | sendChatAction   (JSON, form or multipart)
    GET|POST /bot{token}/getFile?file_id=…       -> file_path
    GET  /file/bot{token}/{file_path}            -> the bytes
    also getMe, setWebhook, deleteWebhook

Every answer is {"ok": true, "result": …} or {"ok": false, "error_code", "description"[, "parameters"]},
as fixtures/telegram/send_*.json.

A send may carry reply_markup (an object in JSON, JSON text in a form): an inline keyboard is
checked as Telegram checks it and recorded as the send's "buttons" ([{"id": callback_data,
"title": text}]), and echoed in the answer (fixtures/telegram/send_200_inline_keyboard.json).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from .state import ProviderState
from .wire import ApiRequest, ApiResponse, json_response, random_token

_METHOD = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_FILE = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_\-]+$")
MAX_TEXT = 4096
BOT_NAME = {"first_name": "Parley Support", "username": "parley_support_bot"}
SENDING = {"sendmessage": "text", "sendphoto": "photo", "senddocument": "document"}
CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
# What Telegram answers a malformed inline keyboard (HTTP 400).
BAD_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
NOT_ARRAYS = 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
NO_TEXT = 'Bad Request: can\'t find field "text"'
TEXT_BUTTON = "Bad Request: text buttons are unallowed in the inline keyboard"
BAD_DATA = "Bad Request: BUTTON_DATA_INVALID"
TOO_LONG = "Bad Request: reply markup is too long"
BUTTON_KINDS = frozenset(
    {
        "callback_data",
        "url",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)

# Scripted "error:<name>" answers: (HTTP status and error_code, description).
ERRORS: dict[str, tuple[int, str]] = {
    "blocked": (403, "Forbidden: bot was blocked by the user"),
    "deactivated": (403, "Forbidden: user is deactivated"),
    "kicked": (403, "Forbidden: bot was kicked from the group chat"),
    "chat_not_found": (400, "Bad Request: chat not found"),
    "too_long": (400, "Bad Request: message is too long"),
    "unauthorized": (401, "Unauthorized"),
}


def claim(request: ApiRequest) -> tuple[str, str] | None:
    if _FILE.match(request.path):
        return "telegram", "other"
    found = _METHOD.match(request.path)
    if found is None:
        return None
    return "telegram", "sends" if found["method"].lower() in SENDING else "other"


def handle(request: ApiRequest, state: ProviderState) -> ApiResponse:
    found = _METHOD.match(request.path) or _FILE.match(request.path)
    assert found is not None  # claim() matched one of them
    token = found["token"]
    if not _TOKEN.match(token) or not state.telegram_token_ok(token):
        return failure(401, "Unauthorized")
    if "path" in found.groupdict():
        blob = state.media_at_path(found["path"])
        if blob is None:
            return failure(404, "Not Found")
        return ApiResponse(status=200, body=blob.content, content_type=blob.mime_type)
    method = found["method"].lower()
    params = _params(request)
    if method in SENDING:
        return _send(request, state, token, SENDING[method], params)
    if method == "sendchataction":
        return _chat_action(state, params)
    if method == "getfile":
        return _get_file(state, str(params.get("file_id") or ""))
    if method == "getme":
        return success(_bot(token) | {"can_join_groups": True, "supports_inline_queries": False})
    if method in ("setwebhook", "deletewebhook"):
        said = "Webhook was set" if method == "setwebhook" else "Webhook was deleted"
        return json_response(200, {"ok": True, "result": True, "description": said})
    return failure(404, "Not Found")


def _params(request: ApiRequest) -> dict[str, Any]:
    """Telegram takes parameters from the query string, a form or a JSON body alike."""
    params: dict[str, Any] = {name: values[0] for name, values in request.query.items() if values}
    params.update(dict(request.form or ()))
    if isinstance(request.json, dict):
        params.update(request.json)
    return params


def _send(
    request: ApiRequest, state: ProviderState, token: str, kind: str, params: dict[str, Any]
) -> ApiResponse:
    chat_id = str(params.get("chat_id") or "")
    refusal = _refusal(state, chat_id)
    if refusal is not None:
        return refusal
    content = _content(request, kind, params)
    if isinstance(content, ApiResponse):
        return content
    markup = _reply_markup(params.get("reply_markup"))
    if isinstance(markup, ApiResponse):
        return markup
    if markup is not None:
        content["buttons"] = _buttons(markup)
        content["result"]["reply_markup"] = markup
    echoed = content.pop("result")
    message_id = state.next_telegram_message_id()
    send = {"id": str(message_id), "to": chat_id, "type": kind, **content, "account": token.split(":")[0]}
    accepted = state.accept("telegram", request, {**send, "status": "sent"})
    chat_key: int | str = int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
    result: dict[str, Any] = {
        "message_id": message_id,
        "from": _bot(token),
        "chat": {"id": chat_key, "type": "private" if not chat_id.startswith("-") else "group"},
        "date": int(accepted["received_at"]),
    }
    result.update(echoed)
    response = success(result)
    response.accepted_id = accepted["id"]
    return response


def _refusal(state: ProviderState, chat_id: str) -> ApiResponse | None:
    if not chat_id:
        return failure(400, "Bad Request: chat_id is empty")
    if chat_id in state.behaviour.blocked_chats:
        return scripted_error("blocked")
    return None


def _content(request: ApiRequest, kind: str, params: dict[str, Any]) -> dict[str, Any] | ApiResponse:
    """body, media and the part of the answer's Message that echoes what was sent."""
    if kind == "text":
        text = str(params.get("text") or "")
        if not text:
            return failure(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            return scripted_error("too_long")
        return {"body": text, "media": [], "result": {"text": text}}
    uploads = [file for file in request.files if file["field"] == kind]
    reference = str(params.get(kind) or "")
    if not uploads and (not reference or reference.startswith("attach://")):
        return failure(400, f"Bad Request: there is no {kind} in the request")
    caption = str(params.get("caption") or "")
    media = [f"upload:{uploads[0]['filename']}"] if uploads else [reference]
    size = uploads[0]["size"] if uploads else 48211
    echoed: dict[str, Any] = {
        kind: _photo_sizes(size) if kind == "photo" else _document(uploads, reference, size)
    }
    if caption:
        echoed["caption"] = caption
    return {"body": caption, "media": media, "result": echoed}


def _reply_markup(raw: Any) -> dict[str, Any] | ApiResponse | None:
    """The send's reply_markup, checked; None when it has none. Only an inline keyboard is echoed
    back in the answer's Message, as Telegram does; other keyboards are taken and not echoed."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return failure(400, BAD_MARKUP)
    if not isinstance(raw, dict):
        return failure(400, BAD_MARKUP)
    if "inline_keyboard" not in raw:
        return None
    rows = raw["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        return failure(400, NOT_ARRAYS)
    buttons = [button for row in rows for button in row]
    if len(buttons) > MAX_INLINE_BUTTONS:
        return failure(400, TOO_LONG)
    for button in buttons:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            return failure(400, NO_TEXT)
        if not BUTTON_KINDS.intersection(button):
            return failure(400, TEXT_BUTTON)
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_BYTES:
            return failure(400, BAD_DATA)
    return {"inline_keyboard": rows}


def _buttons(markup: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"id": str(button.get("callback_data") or button.get("url") or ""), "title": button["text"]}
        for row in markup["inline_keyboard"]
        for button in row
    ]


def _photo_sizes(size: int) -> list[dict[str, Any]]:
    # Telegram stores a sent photo in several sizes, each with its own file_id.
    stem = "AgACAgQAAxkDAAI" + random_token(20)
    return [
        {
            "file_id": f"{stem}_s",
            "file_unique_id": "AQAD" + random_token(8),
            "file_size": 1290,
            "width": 90,
            "height": 67,
        },
        {
            "file_id": f"{stem}_l",
            "file_unique_id": "AQAD" + random_token(8),
            "file_size": size,
            "width": 1280,
            "height": 960,
        },
    ]


def _document(uploads: list[dict[str, Any]], reference: str, size: int) -> dict[str, Any]:
    name = uploads[0]["filename"] if uploads else reference.rsplit("/", 1)[-1] or "file"
    mime_type = uploads[0]["content_type"] if uploads else "application/octet-stream"
    return {
        "file_name": name,
        "mime_type": mime_type,
        "file_id": "BQACAgQAAxkDAAI" + random_token(20),
        "file_unique_id": "AgAD" + random_token(8),
        "file_size": size,
    }


def _chat_action(state: ProviderState, params: dict[str, Any]) -> ApiResponse:
    refusal = _refusal(state, str(params.get("chat_id") or ""))
    if refusal is not None:
        return refusal
    if not params.get("action"):
        return failure(400, "Bad Request: action is empty")
    return success(True)


def _get_file(state: ProviderState, file_id: str) -> ApiResponse:
    blob = state.media(file_id) if file_id else None
    if blob is None:
        return failure(400, "Bad Request: invalid file_id")
    unique = "AQAD" + hashlib.sha256(blob.key.encode()).hexdigest()[:12]
    return success(
        {
            "file_id": blob.key,
            "file_unique_id": unique,
            "file_size": len(blob.content),
            "file_path": blob.file_path,
        }
    )


def _bot(token: str) -> dict[str, Any]:
    return {"id": int(token.split(":")[0]), "is_bot": True, **BOT_NAME}


# --- answers ---


def success(result: Any) -> ApiResponse:
    return json_response(200, {"ok": True, "result": result})


def failure(status: int, description: str, **extra: Any) -> ApiResponse:
    return json_response(status, {"ok": False, "error_code": status, "description": description, **extra})


def scripted_error(name: str) -> ApiResponse:
    if name not in ERRORS:
        return failure(400, f"Bad Request: fake provider does not know the Telegram error {name!r}")
    status, description = ERRORS[name]
    return failure(status, description)


def fault_response(fault: str, request: ApiRequest, retry_after: int) -> ApiResponse:
    if fault == "429":
        description = f"Too Many Requests: retry after {retry_after}"
        return failure(429, description, parameters={"retry_after": retry_after})
    if fault.startswith("error:"):
        return scripted_error(fault.removeprefix("error:"))
    status = int(fault)
    return failure(
        status, {500: "Internal Server Error", 502: "Bad Gateway"}.get(status, "Service Unavailable")
    )
