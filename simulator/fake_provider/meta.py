"""Meta's Graph API for messaging: WhatsApp Cloud API, Messenger and Instagram.

    POST /{version}/{phone_number_id}/messages   WhatsApp send (JSON, messaging_product=whatsapp)
    POST /{version}/me/messages                  Messenger / Instagram send (recipient.id)
         (also /{version}/{page_id}/messages: a body with "recipient" is Messenger's)
    GET  /{version}/{media_id}                   WhatsApp media: a URL to fetch with the token
    GET  /{version}/{user_id}?fields=…           a Messenger / Instagram profile (meta_profiles.py)
    GET  /{version}/me?fields=id,name            whom the token stands for (the admin's token check)
    GET  /_media/{media_id}                      the bytes behind that URL
    GET  /{version}/{waba_id}/message_templates  approved templates

A token comes as "Authorization: Bearer …" or an access_token parameter. Answers follow
fixtures/meta/*_send_*.json; errors are Graph's {"error": {message, type, code, …, fbtrace_id}}.
Reply buttons and quick replies are checked in meta_buttons.py and recorded as the send's "buttons".
"""

from __future__ import annotations

import hashlib
import re
import string
from typing import Any

from .meta_buttons import interactive_content, quick_replies
from .meta_profiles import profile_answer, token_owner
from .state import ProviderState
from .wire import ApiRequest, ApiResponse, json_response, new_mid, new_wamid, random_token

_VERSIONED = re.compile(r"^/v\d+\.\d+/(?P<rest>.+)$")
_SENDS = re.compile(r"^(?P<node>[^/]+)/messages$")
_TEMPLATES = re.compile(r"^(?P<waba>[^/]+)/message_templates$")
_NODE = re.compile(r"^(?P<node>[A-Za-z0-9_.\-]+)$")
_MEDIA = re.compile(r"^/_media/(?P<key>[^/]+)$")
MEDIA_KINDS = ("image", "document", "audio", "video", "sticker")
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
_WINDOW_DETAILS = (
    "Message failed to send because more than 24 hours have passed since the customer last replied "
    "to this number."
)

# Scripted "error:<name>" answers per provider: HTTP status and the "error" object (less fbtrace_id).
WHATSAPP_ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "131047": (
        400,
        {"message": "(#131047) Re-engagement message", "code": 131047, "details": _WINDOW_DETAILS},
    ),
    "131026": (
        400,
        {"message": "(#131026) Message undeliverable", "code": 131026, "details": "Message Undeliverable."},
    ),
    "131056": (
        400,
        {
            "message": "(#131056) (Business Account, Consumer Account) pair rate limit hit",
            "code": 131056,
            "details": "Message failed to send because there were too many messages sent from this phone "
            "number to the same phone number in a short period of time.",
        },
    ),
    "130429": (
        429,
        {
            "message": "(#130429) Rate limit hit",
            "code": 130429,
            "details": "Cloud API message throughput has been reached.",
        },
    ),
    "131000": (
        500,
        {"message": "(#131000) Something went wrong", "code": 131000, "details": "Something went wrong."},
    ),
    "132001": (
        404,
        {
            "message": "(#132001) Template name does not exist in the translation",
            "code": 132001,
            "details": "",
        },
    ),
    "131009": (
        400,
        {
            "message": "(#131009) Parameter value is not valid",
            "code": 131009,
            "details": "Button title length invalid. Min length: 1, Max length: 20",
        },
    ),
    "100": (400, {"message": "(#100) Invalid parameter", "code": 100}),
    "190": (401, {"message": "Invalid OAuth access token - Cannot parse access token", "code": 190}),
}
WHATSAPP_ERRORS["outside_window"] = WHATSAPP_ERRORS["131047"]
MESSENGER_ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "outside_window": (
        400,
        {
            "message": "(#10) This message is sent outside of allowed window.",
            "code": 10,
            "error_subcode": 2018278,
        },
    ),
    "551": (
        400,
        {"message": "(#551) This person isn't available right now.", "code": 551, "error_subcode": 1545041},
    ),
    "100": (400, {"message": "(#100) No matching user found", "code": 100, "error_subcode": 2018001}),
    "613": (429, {"message": "(#613) Calls to this api have exceeded the rate limit.", "code": 613}),
    "190": WHATSAPP_ERRORS["190"],
}
MESSENGER_ERRORS["blocked"] = MESSENGER_ERRORS["551"]


def claim(request: ApiRequest) -> tuple[str, str] | None:
    if _MEDIA.match(request.path):
        return "whatsapp", "other"
    versioned = _VERSIONED.match(request.path)
    if versioned is None:
        return None
    if request.method == "GET" and request.param("fields") and _NODE.match(versioned["rest"]):
        return "messenger", "other"  # a customer's profile
    sending = _SENDS.match(versioned["rest"])
    if sending is None or request.method != "POST":
        return "whatsapp", "other"
    if not _is_messenger(request, sending["node"]):
        return "whatsapp", "sends"
    payload = request.json if isinstance(request.json, dict) else {}
    return "messenger", "other" if "sender_action" in payload else "sends"


def _is_messenger(request: ApiRequest, node: str) -> bool:
    """Both send to /{node}/messages; WhatsApp's body names its product, Messenger's a recipient."""
    payload = request.json if isinstance(request.json, dict) else {}
    return node == "me" or ("recipient" in payload and payload.get("messaging_product") != "whatsapp")


def handle(request: ApiRequest, state: ProviderState) -> ApiResponse:
    if not state.graph_token_ok(_token(request)):
        return graph_error(
            401, {"message": "Invalid OAuth access token - Cannot parse access token", "code": 190}
        )
    if found := _MEDIA.match(request.path):
        blob = state.media(found["key"])
        if blob is None:
            return _unsupported(request, found["key"])
        return ApiResponse(status=200, body=blob.content, content_type=blob.mime_type)
    rest = _VERSIONED.match(request.path)["rest"]  # type: ignore[index] - claim() matched it
    if (sending := _SENDS.match(rest)) and request.method == "POST":
        if _is_messenger(request, sending["node"]):
            return _messenger_send(request, state, sending["node"])
        return _whatsapp_send(request, state, sending["node"])
    if (templates := _TEMPLATES.match(rest)) and request.method == "GET":
        return _templates(request, state, templates["waba"])
    if (node := _NODE.match(rest)) and request.method == "GET":
        if request.param("fields"):  # a customer's profile; WhatsApp's media GET asks no fields
            return _profile(request, state, node["node"])
        return _media_url(request, state, node["node"])
    return _unsupported(request, rest)


def _token(request: ApiRequest) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    payload = request.json if isinstance(request.json, dict) else {}
    return request.param("access_token") or str(payload.get("access_token") or "")


# --- WhatsApp ---


def _whatsapp_send(request: ApiRequest, state: ProviderState, phone_number_id: str) -> ApiResponse:
    payload = request.json if isinstance(request.json, dict) else {}
    if payload.get("messaging_product") != "whatsapp":
        return invalid("(#100) The parameter messaging_product is required.")
    to = str(payload.get("to") or "")
    if not to:
        return invalid("(#100) The parameter to is required.")
    kind = str(payload.get("type") or "text")
    content = _whatsapp_content(kind, payload, state)
    if isinstance(content, ApiResponse):
        return content
    wa_id = re.sub(r"\D", "", to)
    if kind != "template" and wa_id in state.behaviour.outside_window:
        return scripted_error("whatsapp", "131047")
    send = {"id": new_wamid(), "to": to, "wa_id": wa_id, "type": kind, **content, "account": phone_number_id}
    accepted = state.accept("whatsapp", request, {**send, "status": "accepted"})
    answer = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": wa_id}],
        "messages": [{"id": accepted["id"], "message_status": "accepted"}],
    }
    response = json_response(200, answer)
    response.accepted_id = accepted["id"]
    return response


def _whatsapp_content(
    kind: str, payload: dict[str, Any], state: ProviderState
) -> dict[str, Any] | ApiResponse:
    """body, media (links or media ids) and template of a send, or Graph's refusal."""
    part = payload.get(kind) if isinstance(payload.get(kind), dict) else {}
    if kind == "text":
        body = str(part.get("body") or "")
        return (
            {"body": body, "media": []} if body else invalid("(#100) The parameter text['body'] is required.")
        )
    if kind in MEDIA_KINDS:
        reference = part.get("link") or part.get("id")
        if not reference:
            return invalid(f"(#100) The parameter {kind}['link'] or {kind}['id'] is required.")
        return {"body": str(part.get("caption") or ""), "media": [str(reference)]}
    if kind == "template":
        return _template_content(part, state)
    if kind == "interactive":
        checked = interactive_content(part)
        return graph_error(*checked) if isinstance(checked, tuple) else checked
    if kind in ("reaction", "location", "contacts"):
        return {"body": "", "media": []}
    return invalid(f"(#100) Param type must be one of {{TEXT, TEMPLATE, {', '.join(MEDIA_KINDS).upper()}}}")


def _template_content(part: dict[str, Any], state: ProviderState) -> dict[str, Any] | ApiResponse:
    name = str(part.get("name") or "")
    language = str((part.get("language") or {}).get("code") or "")
    if not name or not language:
        return invalid(
            "(#100) The parameters template['name'] and template['language']['code'] are required."
        )
    known = [t for t in state.behaviour.templates if t["name"] == name and t["language"] == language]
    if not known:
        status, error = WHATSAPP_ERRORS["132001"]
        return graph_error(
            status, {**error, "details": f"template name ({name}) does not exist in {language}"}
        )
    values = [
        str(parameter.get("text", ""))
        for component in part.get("components") or []
        if str(component.get("type", "")).lower() == "body"
        for parameter in component.get("parameters") or []
    ]
    text = str(known[0]["body"])
    expected = len(set(re.findall(r"\{\{(\d+)\}\}", text)))
    if len(values) != expected:
        return graph_error(
            400,
            {
                "message": "(#132000) Number of parameters does not match the expected number of params",
                "code": 132000,
                "details": f"body: number of localizable_params ({len(values)}) does not match the expected "
                f"number of params ({expected})",
            },
        )
    for index, value in enumerate(values, start=1):
        text = text.replace(f"{{{{{index}}}}}", value)
    return {"body": text, "media": [], "template": {"name": name, "language": language, "parameters": values}}


def _media_url(request: ApiRequest, state: ProviderState, media_id: str) -> ApiResponse:
    blob = state.media(media_id)
    if blob is None:
        return _unsupported(request, media_id)
    return json_response(
        200,
        {
            "url": f"{request.base_url}/_media/{blob.key}",
            "mime_type": blob.mime_type,
            "sha256": hashlib.sha256(blob.content).hexdigest(),
            "file_size": len(blob.content),
            "id": blob.key,
            "messaging_product": "whatsapp",
        },
    )


def _profile(request: ApiRequest, state: ProviderState, user_id: str) -> ApiResponse:
    if user_id == "me":
        return json_response(200, token_owner(request.param("fields")))
    if (profile := state.profile(user_id)) is None:
        return _unsupported(request, user_id)
    answer = profile_answer(user_id, profile, request.param("fields"))
    return graph_error(*answer) if isinstance(answer, tuple) else json_response(200, answer)


def _templates(request: ApiRequest, state: ProviderState, waba_id: str) -> ApiResponse:
    wanted = request.param("name")
    data = [
        {
            "name": template["name"],
            "parameter_format": "POSITIONAL",
            "components": template.get("components") or [{"type": "BODY", "text": template["body"]}],
            "language": template["language"],
            "status": template.get("status", "APPROVED"),
            "category": template.get("category", "UTILITY"),
            "id": str(
                int(
                    hashlib.sha256(f"{template['name']}/{template['language']}".encode()).hexdigest()[:13], 16
                )
            ),
        }
        for template in state.behaviour.templates
        if not wanted or template["name"] == wanted
    ]
    return json_response(200, {"data": data, "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}})


# --- Messenger and Instagram ---


def _messenger_send(request: ApiRequest, state: ProviderState, node: str) -> ApiResponse:
    payload = request.json if isinstance(request.json, dict) else {}
    psid = str((payload.get("recipient") or {}).get("id") or "")
    if not psid:
        return invalid("(#100) The parameter recipient is required")
    if "sender_action" in payload:  # typing_on, mark_seen: answered, but no message is sent
        return json_response(200, {"recipient_id": psid})
    message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
    attachment = message.get("attachment") if isinstance(message.get("attachment"), dict) else None
    if not message.get("text") and attachment is None:
        return invalid("(#100) The parameter message['text'] or message['attachment'] is required")
    buttons = quick_replies(message["quick_replies"]) if "quick_replies" in message else []
    if isinstance(buttons, tuple):
        return graph_error(*buttons)
    refusal = _messaging_type_refusal(payload, psid, state)
    if refusal is not None:
        return refusal
    source = (attachment or {}).get("payload") or {}
    media = [str(source.get("url") or source.get("attachment_id"))] if attachment else []
    send = {
        "id": new_mid(),
        "to": psid,
        "body": str(message.get("text") or ""),
        "media": media,
        "type": attachment.get("type", "file") if attachment else "text",
        "messaging_type": payload.get("messaging_type", "RESPONSE"),
        "tag": payload.get("tag"),
        "account": node,
        "status": "sent",
        **({"buttons": buttons} if buttons else {}),
    }
    accepted = state.accept("messenger", request, send)
    response = json_response(200, {"recipient_id": psid, "message_id": accepted["id"]})
    response.accepted_id = accepted["id"]
    return response


def _messaging_type_refusal(payload: dict[str, Any], psid: str, state: ProviderState) -> ApiResponse | None:
    """Outside the 24-hour window only a HUMAN_AGENT tag (seven days) may still reach someone."""
    messaging_type = payload.get("messaging_type", "RESPONSE")
    if messaging_type not in MESSAGING_TYPES:
        return invalid("(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
    if messaging_type == "MESSAGE_TAG" and not payload.get("tag"):
        return invalid("(#100) Tag is required for MESSAGE_TAG messaging type")
    tagged = messaging_type == "MESSAGE_TAG" and payload.get("tag") == "HUMAN_AGENT"
    if psid in state.behaviour.outside_window and not tagged:
        return scripted_error("messenger", "outside_window")
    return None


# --- errors ---


def fbtrace_id() -> str:
    return random_token(23, string.ascii_letters + string.digits + "_-")


def graph_error(status: int, error: dict[str, Any]) -> ApiResponse:
    """Graph's error envelope; "details" becomes WhatsApp's error_data."""
    error = dict(error)
    body: dict[str, Any] = {"message": error.pop("message"), "type": error.pop("type", "OAuthException")}
    body["code"] = error.pop("code")
    details = error.pop("details", None)
    body.update(error)
    if details is not None:
        body["error_data"] = {"messaging_product": "whatsapp", "details": details}
    body["fbtrace_id"] = fbtrace_id()
    return json_response(status, {"error": body})


def invalid(message: str) -> ApiResponse:
    return graph_error(400, {"message": message, "code": 100})


def _unsupported(request: ApiRequest, node: str) -> ApiResponse:
    message = (
        f"Unsupported {request.method.lower()} request. Object with ID '{node}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read the Graph "
        "API documentation at https://developers.facebook.com/docs/graph-api"
    )
    return graph_error(
        400, {"message": message, "type": "GraphMethodException", "code": 100, "error_subcode": 33}
    )


def scripted_error(provider: str, name: str) -> ApiResponse:
    table = MESSENGER_ERRORS if provider == "messenger" else WHATSAPP_ERRORS
    if name not in table:
        return invalid(f"(#100) fake provider: {name!r} is not a {provider} error it knows")
    status, error = table[name]
    return graph_error(status, error)


def fault_response(fault: str, request: ApiRequest, provider: str) -> ApiResponse:
    if fault == "429":
        return scripted_error(provider, "613" if provider == "messenger" else "130429")
    if fault.startswith("error:"):
        return scripted_error(provider, fault.removeprefix("error:"))
    status = int(fault)
    if status == 500:
        return graph_error(
            500, {"message": "An unknown error has occurred.", "code": 1, "is_transient": True}
        )
    message = "An unexpected error has occurred. Please retry your request later."
    return graph_error(status, {"message": message, "code": 2, "is_transient": True})
