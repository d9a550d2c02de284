"""The customer panel of an open conversation: the contact's details and other conversations,
editing them, and finding another contact to merge into this one."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agents import selectors
from audit.services import contact_merge_audited
from conversations import services
from conversations.models import Contact, Conversation

from ..identities import present_identities
from ..view_helpers import conversation_or_404, desk_view, int_or, refused
from .rows import avatar_shown

BROWSING_WITHIN = timedelta(minutes=10)


@require_GET
@desk_view
def contact_search(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Contacts to merge into this conversation's contact: by name, email or phone."""
    conversation = conversation_or_404(request, conversation_id)
    query = request.GET.get("q", "").strip()[:100]
    found = (
        selectors.desk_contacts(request.user, query).exclude(pk=conversation.contact_id)[:8] if query else []
    )
    return render(request, "desk/_merge_candidates.html", {"conversation": conversation, "candidates": found})


@require_POST
@desk_view
def contact_edit(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id)
    try:
        services.contact_edit(
            contact=conversation.contact,
            name=request.POST.get("name", ""),
            email=request.POST.get("email", ""),
            phone=request.POST.get("phone", ""),
            language=request.POST.get("language", ""),
        )
    except ValidationError as error:
        return refused(error)
    return render_customer_panel(request, conversation_id)


@require_POST
@desk_view
def contact_merge(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Fold another contact (one the agent can see) into this conversation's contact."""
    conversation = conversation_or_404(request, conversation_id)
    other = (
        selectors.desk_contacts(request.user)
        .filter(pk=int_or(request.POST.get("contact"), default=0))
        .first()
    )
    if other is None:
        raise Http404("No such contact in your inboxes.")
    try:
        contact_merge_audited(keep=conversation.contact, merge=other, request=request)
    except ValidationError as error:
        return refused(error)
    return render_customer_panel(request, conversation_id)


def render_customer_panel(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The customer panel again, as the contact now is (after an edit or a merge)."""
    return render(
        request, "desk/_customer.html", customer_context(conversation_or_404(request, conversation_id))
    )


def customer_context(conversation: Conversation) -> dict:
    contact = conversation.contact
    return {
        "conversation": conversation,
        "contact": contact,
        "avatar": avatar_shown(contact),
        "visitor": visitor_shown(contact, timezone.now()),
        "merge_suggestions": services.contact_merge_suggestions(contact),
        "identities": present_identities(
            contact.identities.select_related("inbox").order_by("inbox__name", "pk")
        ),
        "past_conversations": list(
            contact.conversations.exclude(pk=conversation.pk)
            .select_related("inbox")
            .order_by("-last_activity_at")[:20]
        ),
    }


def visitor_shown(contact: Contact, now: datetime) -> dict | None:
    """What the widget knows of the visitor (conversations.visitor_context), as the panel says it:
    "Browsing Pricing · Europe/Paris (14:05 local) · fr-FR · Paris, FR". `page_title` (the link's
    own text when the page had no title), `page_url`, `browsing` (seen within BROWSING_WITHIN:
    else the panel says where they last were) and `parts`, the rest in order; None for nothing."""
    context = contact.visitor_context if isinstance(contact.visitor_context, dict) else {}
    if not context:
        return None
    parts = []
    if zone := context.get("time_zone"):
        try:
            local = f"{now.astimezone(ZoneInfo(zone)):%H:%M}"
            parts.append(_("%(zone)s (%(time)s local)") % {"zone": zone, "time": local})
        except (ZoneInfoNotFoundError, ValueError):  # stored when this server's zone data had it
            parts.append(zone)
    if context.get("language"):
        parts.append(context["language"])
    if place := ", ".join(value for value in (context.get("city"), context.get("country")) if value):
        parts.append(place)
    page_url = context.get("page_url", "")
    page = urlsplit(page_url)
    return {
        "page_title": context.get("page_title") or (page.netloc + page.path if page_url else ""),
        "page_url": page_url,
        "browsing": contact.last_seen_at is not None and now - contact.last_seen_at < BROWSING_WITHIN,
        "parts": parts,
    }
