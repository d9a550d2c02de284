"""The customer panel of an open conversation: the contact's details and other conversations,
editing them, and finding another contact to merge into this one."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from agents import selectors
from conversations import services
from conversations.models import Conversation

from ..view_helpers import conversation_or_404, desk_view, int_or, refused


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
        services.contact_merge(keep=conversation.contact, merge=other)
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
        "merge_suggestions": services.contact_merge_suggestions(contact),
        "identities": list(contact.identities.select_related("inbox").order_by("inbox__name")),
        "past_conversations": list(
            contact.conversations.exclude(pk=conversation.pk)
            .select_related("inbox")
            .order_by("-last_activity_at")[:20]
        ),
    }
