"""Buttons on Meta's messaging APIs, checked as Graph checks them: WhatsApp's interactive reply
buttons and the Messenger Platform's quick replies (Messenger and Instagram).

WhatsApp refuses a malformed interactive message with code 131009 and a detail that names the rule:
"Button title length invalid. Min length: 1, Max length: 20"
(fixtures/meta/whatsapp_send_400_131009_button_title.json), "Body text length invalid. Min length:
1, Max length: 1024" and "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3" are
the Cloud API's own words; the other details (ids, twins) follow their pattern, unverified.
Messenger refuses more than 13 quick replies with code 105 ("param message[quick_replies] has too
many elements") and other malformed ones with 100; a title past 20 characters is not refused, only
shown shortened by the app.

Each check answers what the send records (body, buttons as [{"id", "title"}]) or a refusal as
(HTTP status, Graph's error object), which meta.graph_error turns into Graph's envelope.
"""

from __future__ import annotations

from typing import Any

GraphRefusal = tuple[int, dict[str, Any]]

INTERACTIVE_BODY = 1024
REPLY_BUTTONS = 3
REPLY_TITLE = 20
REPLY_ID = 256
QUICK_REPLIES = 13
QUICK_REPLY_PAYLOAD = 1000
QUICK_REPLY_KINDS = ("text", "user_phone_number", "user_email")


def _whatsapp_refusal(details: str) -> GraphRefusal:
    return 400, {"message": "(#131009) Parameter value is not valid", "code": 131009, "details": details}


def _length(name: str, value: str, most: int) -> GraphRefusal | None:
    if 1 <= len(value) <= most:
        return None
    return _whatsapp_refusal(f"{name} length invalid. Min length: 1, Max length: {most}")


def interactive_content(part: dict[str, Any]) -> dict[str, Any] | GraphRefusal:
    """An interactive message: reply buttons are checked and recorded; lists and link buttons are
    taken as they come (Parley sends none)."""
    body = str((part.get("body") or {}).get("text") or "") if isinstance(part.get("body"), dict) else ""
    if part.get("type") != "button":
        return {"body": body, "media": []}
    refusal = _length("Body text", body, INTERACTIVE_BODY)
    buttons = (part.get("action") or {}).get("buttons") if isinstance(part.get("action"), dict) else None
    if refusal is None and (not isinstance(buttons, list) or not 1 <= len(buttons) <= REPLY_BUTTONS):
        refusal = _whatsapp_refusal(
            f"Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: {REPLY_BUTTONS}"
        )
    if refusal is not None:
        return refusal
    replies = []
    for button in buttons or ():
        reply = button.get("reply") if isinstance(button, dict) and button.get("type") == "reply" else None
        if not isinstance(reply, dict):
            return _whatsapp_refusal("Button type must be reply")
        title, reply_id = str(reply.get("title") or ""), str(reply.get("id") or "")
        refusal = _length("Button title", title, REPLY_TITLE) or _length("Button ID", reply_id, REPLY_ID)
        if refusal is not None:
            return refusal
        replies.append({"id": reply_id, "title": title})
    for field in ("title", "id"):
        if len({reply[field] for reply in replies}) < len(replies):
            return _whatsapp_refusal(f"Button {field} is not unique")
    return {"body": body, "media": [], "buttons": replies}


def quick_replies(raw: Any) -> list[dict[str, str]] | GraphRefusal:
    """A message's quick_replies, as the send records them ([{"id": payload, "title": title}])."""
    if not isinstance(raw, list):
        return 400, {"message": "(#100) param message[quick_replies] must be an array.", "code": 100}
    if len(raw) > QUICK_REPLIES:
        return 400, {"message": "(#105) param message[quick_replies] has too many elements", "code": 105}
    recorded = []
    for index, reply in enumerate(raw):
        where = f"message[quick_replies][{index}]"
        kind = reply.get("content_type") if isinstance(reply, dict) else None
        if kind not in QUICK_REPLY_KINDS:
            kinds = ", ".join(name.upper() for name in QUICK_REPLY_KINDS)
            return 400, {
                "message": f"(#100) param {where}[content_type] must be one of {{{kinds}}}",
                "code": 100,
            }
        if kind != "text":
            continue
        title, payload = str(reply.get("title") or ""), str(reply.get("payload") or "")
        if not title:
            return 400, {"message": f"(#100) param {where}[title] must be non-empty.", "code": 100}
        if not payload or len(payload) > QUICK_REPLY_PAYLOAD:
            message = f"(#100) param {where}[payload] must be a non-empty UTF-8 encoded string"
            return 400, {"message": f"{message} of at most {QUICK_REPLY_PAYLOAD} characters.", "code": 100}
        recorded.append({"id": payload, "title": title})
    return recorded
