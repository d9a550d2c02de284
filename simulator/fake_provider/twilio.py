"""Twilio's Programmable Messaging API (2010-04-01), as much of it as Parley speaks.

    POST /2010-04-01/Accounts/{AccountSid}/Messages.json          create (form: To, From or
         MessagingServiceSid, Body, MediaUrl*, StatusCallback), HTTP Basic AccountSid:AuthToken
    GET  /2010-04-01/Accounts/{AccountSid}/Messages.json          list (To, From, DateSent[<>])
    GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json    fetch one
    GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}/Media/{MediaSid}   media bytes

Answers follow fixtures/twilio/send_*.json; errors are {code, message, more_info, status}.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets
import threading
from datetime import UTC, date, datetime
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import httpx

from . import webhooks
from .state import ProviderState
from .wire import ApiRequest, ApiResponse, json_response

PREFIX = "/2010-04-01/"
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
_MESSAGE = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/.]+)\.json$")
_MEDIA = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)/Media/(?P<media>[^/.]+)(?P<json>\.json)?$"
)
# E.164, and North American numbers (+1) have exactly ten digits after the country code.
_E164 = re.compile(r"^(whatsapp:)?\+(1\d{10}|[2-9]\d{6,14})$")
# A Messaging Service picks a number from its pool; the fake's pool has this one.
SERVICE_NUMBER = "+14155550100"
MAX_BODY = 1600

# GSM 03.38: the basic set costs one septet a character, the extension table two.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")

# Scripted "error:<name>" answers: (HTTP status, Twilio code, message; {to} is the recipient).
ERRORS: dict[str, tuple[int, int, str]] = {
    "21211": (400, 21211, "Invalid 'To' Phone Number: {masked}"),
    "21408": (
        400,
        21408,
        "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}",
    ),
    "21610": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "21614": (400, 21614, "'To' number {to} is not a valid mobile number"),
    "21617": (400, 21617, "The concatenated message body exceeds the 1600 character limit."),
    "20003": (401, 20003, "Authenticate"),
}
ERRORS["blocked"] = ERRORS["21610"]


def claim(request: ApiRequest) -> tuple[str, str] | None:
    """("twilio", "sends"|"other") for a Twilio API path, else None."""
    if not request.path.startswith(PREFIX):
        return None
    creating = request.method == "POST" and _MESSAGES.match(request.path)
    return "twilio", "sends" if creating else "other"


def handle(request: ApiRequest, state: ProviderState) -> ApiResponse:
    if (found := _MEDIA.match(request.path)) and request.method == "GET":
        return _media(request, state, found)
    account = _authenticated_account(request, state)
    if account is None:
        return unauthorized()
    if (found := _MESSAGES.match(request.path)) and request.method == "POST":
        return _create(request, state, account)
    if found and request.method == "GET":
        return _list(request, state, account)
    if (found := _MESSAGE.match(request.path)) and request.method == "GET":
        sent = [s for s in state.sends("twilio") if s["id"] == found["sid"] and s["account"] == account]
        return json_response(200, resource(sent[0], reading=True)) if sent else not_found(request.path)
    return not_found(request.path)


def _authenticated_account(request: ApiRequest, state: ProviderState) -> str | None:
    """The account the Basic credentials prove, when they match the account in the path."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        account_sid, _, auth_token = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    in_path = request.path.removeprefix("/2010-04-01/Accounts/").split("/")[0]
    if account_sid != in_path or not state.twilio_auth_ok(account_sid, auth_token):
        return None
    return account_sid


def _create(request: ApiRequest, state: ProviderState, account: str) -> ApiResponse:
    to, sender = request.param("To"), request.param("From")
    service, body = request.param("MessagingServiceSid"), request.param("Body")
    media = request.form_values("MediaUrl")
    refusal = _refusal(to, sender, service, body, media)
    if refusal is not None:
        return refusal
    send = {
        "id": ("MM" if media else "SM") + secrets.token_hex(16),
        "to": to,
        "from": sender or None,
        "body": body,
        "media": media,
        "account": account,
        # A Messaging Service answers "accepted" until it has picked a sender; a number "queued".
        "status": "queued" if sender else "accepted",
        "messaging_service_sid": service or None,
        "status_callback": request.param("StatusCallback") or None,
        "num_segments": segments(body),
    }
    accepted = state.accept("twilio", request, send)
    response = json_response(201, resource(accepted))
    response.accepted_id = accepted["id"]
    if send["status_callback"] and state.behaviour.status_callbacks:
        auth_token = base64.b64decode(request.headers["authorization"].split()[1]).decode().partition(":")[2]
        response.after.append(lambda: _start_status_callbacks(state, accepted, auth_token))
    return response


def _refusal(to: str, sender: str, service: str, body: str, media: list[str]) -> ApiResponse | None:
    """Twilio's validation of a create request, in the order it reports problems."""
    if not to:
        return error(400, 21604, "A 'To' phone number is required.")
    if not _E164.match(to):
        return scripted_error("21211", to)
    if not sender and not service:
        return error(400, 21603, "A 'From' phone number is required.")
    if not body and not media:
        return error(400, 21602, "Message body is required.")
    if len(body) > MAX_BODY:
        return scripted_error("21617", to)
    return None


def segments(body: str) -> int:
    """How many SMS segments a body costs: GSM-7 160 alone, 153 each when split (the rest is
    the concatenation header); otherwise UCS-2, 70 and 67, counted in UTF-16 code units."""
    if all(char in _GSM_BASIC or char in _GSM_EXTENDED for char in body):
        septets = sum(2 if char in _GSM_EXTENDED else 1 for char in body)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def _rfc2822(epoch: float) -> str:
    return format_datetime(datetime.fromtimestamp(epoch, UTC).replace(microsecond=0))


def resource(send: dict[str, Any], *, reading: bool = False) -> dict[str, Any]:
    """A Message resource, keys in Twilio's order. When read back (list, fetch) a message the
    fake accepted has gone out: its status is at least "sent" and it has a date_sent."""
    sid, account = send["id"], send["account"]
    created = _rfc2822(send["received_at"])
    status = send["status"]
    if reading and status in ("queued", "accepted"):
        status = "sent"
    base = f"/2010-04-01/Accounts/{account}/Messages/{sid}"
    return {
        "account_sid": account,
        "api_version": "2010-04-01",
        "body": send["body"],
        "date_created": created,
        "date_sent": None if status in ("queued", "accepted") else created,
        "date_updated": created,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": send["from"] if send["from"] or not reading else SERVICE_NUMBER,
        "messaging_service_sid": send["messaging_service_sid"],
        "num_media": str(len(send["media"])),
        "num_segments": str(send["num_segments"]),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {"media": f"{base}/Media.json"},
        "to": send["to"],
        "uri": f"{base}.json",
    }


def _list(request: ApiRequest, state: ProviderState, account: str) -> ApiResponse:
    filters = [(name, request.param(name)) for name in ("To", "From", "DateSent", "DateSent>", "DateSent<")]
    filters = [(name, value) for name, value in filters if value]
    matching = [
        resource(send, reading=True)
        for send in reversed(state.sends("twilio"))  # Twilio lists newest first
        if send["account"] == account
    ]
    matching = [message for message in matching if _passes(message, filters)]
    page_size = max(1, min(int(request.param("PageSize") or 50), 1000))
    page = max(0, int(request.param("Page") or 0))
    chunk = matching[page * page_size : (page + 1) * page_size]

    def page_uri(number: int) -> str:
        query = urlencode([*filters, ("PageSize", page_size), ("Page", number)])
        return f"/2010-04-01/Accounts/{account}/Messages.json?{query}"

    more = len(matching) > (page + 1) * page_size
    return json_response(
        200,
        {
            "end": page * page_size + max(len(chunk) - 1, 0),
            "first_page_uri": page_uri(0),
            "messages": chunk,
            "next_page_uri": page_uri(page + 1) if more else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            "start": page * page_size,
            "uri": page_uri(page),
        },
    )


def _passes(message: dict[str, Any], filters: list[tuple[str, str]]) -> bool:
    sent_on = datetime.strptime(message["date_created"], "%a, %d %b %Y %H:%M:%S %z").date()
    for name, value in filters:
        if name in ("To", "From") and message[name.lower()] != value:
            return False
        if name.startswith("DateSent"):
            wanted = date.fromisoformat(value[:10])
            # DateSent> and DateSent< are inclusive: "on or after", "on or before".
            if (name == "DateSent" and sent_on != wanted) or (name == "DateSent>" and sent_on < wanted):
                return False
            if name == "DateSent<" and sent_on > wanted:
                return False
    return True


def _media(request: ApiRequest, state: ProviderState, found: re.Match[str]) -> ApiResponse:
    # Media answers without credentials unless the account turned on HTTP auth for media; when
    # credentials are sent, they must be right.
    if request.headers.get("authorization") and _authenticated_account(request, state) is None:
        return unauthorized()
    blob = state.media(found["media"])
    if blob is None:
        return not_found(request.path)
    if found["json"]:
        created = _rfc2822(0)
        return json_response(
            200,
            {
                "account_sid": found["account"],
                "content_type": blob.mime_type,
                "date_created": created,
                "date_updated": created,
                "parent_sid": found["sid"],
                "sid": blob.key,
                "uri": request.path,
            },
        )
    return ApiResponse(status=200, body=blob.content, content_type=blob.mime_type)


def _start_status_callbacks(state: ProviderState, send: dict[str, Any], auth_token: str) -> None:
    thread = threading.Thread(target=_post_status_callbacks, args=(state, send, auth_token), daemon=True)
    thread.start()


def _post_status_callbacks(state: ProviderState, send: dict[str, Any], auth_token: str) -> None:
    """Posts "sent" then "delivered", each a moment after the last, signed with the token that sent."""
    for status in ("sent", "delivered"):
        if not state.sleep(state.behaviour.status_callback_delay_ms / 1000.0):
            return
        form = webhooks.twilio_status(
            send["id"],
            status,
            to=send["to"],
            from_=send["from"] or SERVICE_NUMBER,
            account_sid=send["account"],
            messaging_service_sid=send["messaging_service_sid"],
        )
        state.update_send(send["id"], status=status)
        outcome: dict[str, Any] = {"provider": "twilio", "url": send["status_callback"], "form": form}
        try:
            answer = webhooks.post_twilio(send["status_callback"], form, auth_token, timeout=5.0)
            outcome["status"] = answer.status_code
        except httpx.HTTPError as problem:
            outcome["error"] = f"{type(problem).__name__}: {problem}"
        state.record_callback(outcome)


# --- errors ---


def error(status: int, code: int, message: str, **extra: Any) -> ApiResponse:
    payload = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}"}
    return json_response(status, {**payload, "status": status, **extra})


def unauthorized() -> ApiResponse:
    response = error(401, 20003, "Authenticate", detail="Your AccountSid or AuthToken was incorrect.")
    response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response


def not_found(path: str) -> ApiResponse:
    return error(404, 20404, f"The requested resource {path} was not found")


def scripted_error(name: str, to: str) -> ApiResponse:
    if name not in ERRORS:
        return error(400, 21000, f"fake provider: {name!r} is not a Twilio error it knows")
    if name == "20003":
        return unauthorized()
    status, code, message = ERRORS[name]
    masked = to[:-4] + "XXXX" if len(to) > 4 else "XXXX"  # Twilio hides the end of the number
    return error(status, code, message.format(to=to, masked=masked))


def fault_response(fault: str, request: ApiRequest) -> ApiResponse:
    """The answer to a scripted or random fault: "429", "5xx" or "error:<name>"."""
    if fault == "429":
        return error(429, 20429, "Too Many Requests")
    if fault.startswith("error:"):
        return scripted_error(fault.removeprefix("error:"), request.param("To"))
    status = int(fault)
    return error(status, 20000 + status, phrase(status))


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Server Error"
