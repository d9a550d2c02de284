"""The web widget's pages: the one-tag loader (/widget.js), its config, and the frame it embeds.

The loader runs on the business's page and only draws an iframe; everything the customer sees is
the frame, a page of Parley's own (no CSS leaks either way). The frame speaks docs/protocol.md
like any other client. Which sites may embed an inbox is its `allowed_origins`: the config call
refuses other pages (so no launcher appears), and the frame's `frame-ancestors` policy stops a
browser from drawing it inside them.
"""

import logging
import re
from datetime import UTC, datetime
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from conversations import hours, registry
from conversations.models import ChannelType, Inbox
from conversations.settings_rows import active_inbox_by_key
from knowledge.models import Portal

from .answers import cors, refusal

logger = logging.getLogger(__name__)
LOADER_PATH = settings.BASE_DIR / "static" / "widget" / "loader.js"
DEFAULT_COLOR = "#2557d6"
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
PRECHAT_FIELDS = ("name", "email")
LOADER_MAX_AGE = 300  # the loader's URL never changes: let a fix reach every site within minutes


def same_origin(origin: str | None, host: str | None) -> bool:
    """Is `origin` this server itself (the widget frame calling home)?"""
    return bool(origin and host) and urlsplit(origin).netloc.lower() == host.lower()


def origin_allowed(inbox: Inbox, origin: str | None, host: str | None) -> bool:
    """The inbox's allow-list, or Parley's own pages: the frame is served from here."""
    return same_origin(origin, host) or inbox.allows_origin(origin)


def inbox_refusal(inbox: Inbox | None, request: HttpRequest) -> HttpResponse | None:
    """Why this request may not use `inbox` (no such widget inbox, or a page the inbox does not
    allow), as the answer to send; None when it may."""
    origin = request.headers.get("Origin")
    if inbox is None:
        return refusal("inbox_not_found", "No active widget inbox has that key.", 404, origin)
    if not origin_allowed(inbox, origin, request.get_host()):
        return refusal("origin_forbidden", "This site may not embed this inbox.", 403, origin)
    return None


def widget_inbox(public_key: str) -> Inbox | None:
    """The active widget inbox of this public key (settings_rows: no query while none changed)."""
    inbox = active_inbox_by_key(public_key)
    return inbox if inbox is not None and inbox.channel_type == ChannelType.WEB_WIDGET else None


def widget_portal(inbox: Inbox) -> Portal | None:
    """The help center the inbox's widget offers: the first portal linked to the inbox (the one its
    answer bot reads by default), if that help center is public; None otherwise."""
    portal = Portal.objects.filter(inboxes=inbox).order_by("pk").first()
    return portal if portal is not None and portal.is_public else None


def help_offer(portal: Portal | None) -> dict:
    """The `help` object of the config: whether the widget offers search and articles, from which
    help center, and in which locales (the portal's default first)."""
    if portal is None:
        return {"enabled": False, "portal_name": None, "locales": []}
    return {"enabled": True, "portal_name": portal.name, "locales": portal.all_locales}


def brand_color(inbox: Inbox) -> str:
    color = str(inbox.config.get("color", ""))
    return color if COLOR.match(color) else DEFAULT_COLOR


def prechat_fields(inbox: Inbox) -> list[str]:
    """Live-mode inboxes may ask for a name and an email before the first message (admin: inbox
    config, {"prechat_fields": ["name", "email"]})."""
    if inbox.mode != Inbox.Mode.LIVE:
        return []
    asked = inbox.config.get("prechat_fields", [])
    return [field for field in PRECHAT_FIELDS if isinstance(asked, list) and field in asked]


def availability(inbox: Inbox, at: datetime | None = None) -> dict:
    """When the team answers, for the widget's header line: the `availability` object of the config
    and session answers (docs/protocol.md). Hours saved past the admin's check (a script, an old
    row) that cannot be read are logged and treated as always open: the widget must still load."""
    at = at or timezone.now()
    try:
        schedule = hours.schedule_of(inbox)
    except ValidationError:
        logger.warning("inbox %s has unreadable business hours; treating it as always open", inbox.pk)
        open_now, next_open = True, None
    else:
        open_now = schedule.is_open(at)
        next_open = None if open_now else schedule.next_opening(at)
    return {
        "team_online": registry.inbox_has_someone_online(inbox.pk),
        "open_now": open_now,
        "next_open_at": next_open.astimezone(UTC).isoformat() if next_open else None,
        "reply_time": inbox.reply_time,
        "timezone": inbox.timezone,
    }


@cache
def _loader_source() -> bytes:
    return LOADER_PATH.read_bytes()


@require_GET
def loader(request: HttpRequest) -> HttpResponse:
    """GET /widget.js: the script tag's source. It finds its inbox in the tag's data-parley-key."""
    response = HttpResponse(_loader_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={LOADER_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def config(request: HttpRequest) -> HttpResponse:
    """GET /widget/api/v1/config?key=…: what the loader needs to draw the launcher, for allowed
    pages only (a refused page shows no widget at all)."""
    inbox = widget_inbox(request.GET.get("key", ""))
    if (refused := inbox_refusal(inbox, request)) is not None:
        return refused
    answer = JsonResponse(
        {
            "name": inbox.name,
            "color": brand_color(inbox),
            "availability": availability(inbox),
            "help": help_offer(widget_portal(inbox)),
        }
    )
    return cors(answer, request.headers.get("Origin"))


@require_GET
@xframe_options_exempt  # framing is the point; frame-ancestors below says by whom
def frame(request: HttpRequest) -> HttpResponse:
    """GET /widget/frame/?key=…: the widget itself, drawn in the loader's iframe."""
    inbox = widget_inbox(request.GET.get("key", ""))
    if inbox is None:
        return HttpResponse("No active widget inbox has that key.", status=404, content_type="text/plain")
    available = availability(inbox)
    page = {
        "publicKey": inbox.public_key,
        "name": inbox.name,
        "greeting": inbox.greeting,
        "mode": inbox.mode,
        "color": brand_color(inbox),
        "sessionUrl": "/widget/api/v1/session",
        "uploadUrl": "/widget/api/v1/messages",
        "attributesUrl": "/widget/api/v1/attributes",
        "online": available["team_online"],
        "availability": available,
        "prechat": prechat_fields(inbox),
        "help": help_offer(widget_portal(inbox)),
        "helpUrl": "/widget/api/v1/help",
    }
    response = render(request, "widget/frame.html", {"page": page})
    ancestors = " ".join(inbox.allowed_origin_list) if inbox.allowed_origin_list else "*"
    response["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self'; script-src 'self'; "
        f"connect-src 'self' ws: wss:; frame-ancestors 'self' {ancestors}"
    )
    return response
