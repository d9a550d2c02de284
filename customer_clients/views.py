"""HTTP endpoints of the widget and app clients. The socket protocol is in consumers.py."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from conversations.languages import language_codes
from conversations.refusals import Refused

from .answers import Answered, cors, json_post, refusal
from .visitors import CONNECT_TOKEN_SECONDS, visitor_session_open
from .widget import availability, inbox_refusal, widget_inbox

SESSION_FIELDS = ("resume_token", "user_id", "user_hash", "name", "email", "phone", "language")
MAX_SESSION_BODY = 8 * 1024
MAX_FIELD_LENGTH = 255


def request_place(request: HttpRequest) -> tuple[str, str]:
    """(city, country) as the CDN or proxy in front of Parley says the request came from: the first
    of PARLEY_VISITOR_CITY_HEADERS and of PARLEY_VISITOR_COUNTRY_HEADERS present, unchecked yet.
    Header bytes reach Django as Latin-1; CDNs send UTF-8 ("Zürich"), so they are read again as such."""

    def first(names: list[str]) -> str:
        value = next((request.headers[name] for name in names if request.headers.get(name)), "")
        try:
            return value.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return value

    return first(settings.PARLEY_VISITOR_CITY_HEADERS), first(settings.PARLEY_VISITOR_COUNTRY_HEADERS)


@csrf_exempt  # no cookie authenticates this endpoint: the resume token travels in the body
def session(request: HttpRequest) -> HttpResponse:
    """POST /widget/api/v1/session: open or resume a visitor session; returns the tokens."""
    origin = request.headers.get("Origin")
    try:
        payload = json_post(request, max_bytes=MAX_SESSION_BODY, lenient_key="context")
    except Answered as answered:
        return answered.response
    if not isinstance(payload.get("public_key"), str):
        return refusal("bad_request", "Send JSON with at least public_key.", 400, origin)
    fields = {name: payload.get(name) or "" for name in SESSION_FIELDS}
    for name, value in fields.items():  # refused whole, never cut or turned into text
        if not isinstance(value, str) or len(value) > MAX_FIELD_LENGTH:
            detail = f"{name}: a string of at most {MAX_FIELD_LENGTH} characters, or null."
            return refusal("invalid", detail, 400, origin)
    inbox = widget_inbox(payload["public_key"])
    if (refused := inbox_refusal(inbox, request)) is not None:
        return refused
    try:
        opened = visitor_session_open(
            inbox=inbox,
            resume_token=fields["resume_token"],
            external_id=fields["user_id"],
            external_id_hash=fields["user_hash"],
            name=fields["name"],
            email=fields["email"],
            phone=fields["phone"],
            # The browser's own setting: one it cannot express is no reason to refuse a chat.
            language=next(iter(language_codes(fields["language"], strict=False)), ""),
            context=payload.get("context"),  # checked by the service: a bad value is dropped, never refused
            place=request_place(request),
        )
    except Refused as refused:
        return refusal(refused.code, refused.detail, 401, origin)
    except ValidationError as error:
        return refusal("invalid", " ".join(error.messages), 400, origin)
    available = availability(inbox)
    body = {
        "protocol": 1,
        "contact_id": opened.visitor.contact_id,
        "contact": {
            "name": opened.contact.name,
            "email": opened.contact.email,
            "phone": opened.contact.phone,
        },
        "team_online": available["team_online"],  # kept for clients older than `availability`
        "availability": available,
        "resume_token": opened.resume_token,
        "connect_token": opened.connect_token,
        "connect_token_expires_in": CONNECT_TOKEN_SECONDS,
        "websocket_path": "/ws/v1/client/",
    }
    return cors(JsonResponse(body), origin)
