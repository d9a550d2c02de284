"""The open conversation: its pane, the history before and after what the page shows, its
header, and the saved replies the composer offers."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from agents.models import CannedResponse
from conversations import selectors as thread_selectors
from conversations import services
from conversations.capabilities import capabilities_of, reply_window_closes_at, send_refusal
from conversations.models import ChannelType

from ..view_helpers import conversation_or_404, desk_view, int_or, thread_or_404
from .choices import desk_choices
from .customer import customer_context
from .entries import ENTRY_RELATED, present_entries

HISTORY_PAGE = 50


@require_GET
@desk_view
def conversation_pane(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id)
    page = thread_selectors.message_page(
        conversation_id=conversation.pk, include_private=True, limit=HISTORY_PAGE, related=ENTRY_RELATED
    )
    return render(
        request,
        "desk/_conversation.html",
        {
            "conversation": conversation,
            "entries": present_entries(page.messages, conversation),
            "has_older": page.has_more,
            "capabilities": capabilities_of(conversation.inbox.channel_type),
            "window_closes_at": reply_window_closes_at(conversation),
            "reply_refusal": send_refusal(conversation, body="", by_person=True),
            "mail_reply": _mail_reply(conversation),
            "merge_targets": thread_selectors.merge_targets(conversation),
            "now": timezone.now(),
            **desk_choices(request.user),
            **customer_context(conversation),
        },
    )


@require_GET
@desk_view
def history_before(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Older messages, for scrolling back: keyset on (conversation, seq)."""
    conversation = thread_or_404(request, conversation_id)
    page = thread_selectors.message_page(
        conversation_id=conversation.pk,
        include_private=True,
        before_seq=int_or(request.GET.get("before"), default=conversation.last_seq + 1),
        limit=HISTORY_PAGE,
        related=ENTRY_RELATED,
    )
    return render(
        request,
        "desk/_older.html",
        {
            "conversation": conversation,
            "entries": present_entries(page.messages, conversation),
            "has_older": page.has_more,
        },
    )


@require_GET
@desk_view
def history_after(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Messages after `seq`: what the open conversation appends when the socket says there is more."""
    conversation = thread_or_404(request, conversation_id)
    page = thread_selectors.message_page(
        conversation_id=conversation.pk,
        include_private=True,
        after_seq=int_or(request.GET.get("seq"), default=0),
        limit=200,
        related=ENTRY_RELATED,
    )
    return render(
        request,
        "desk/_messages.html",
        {"conversation": conversation, "entries": present_entries(page.messages, conversation)},
    )


@require_GET
@desk_view
def header(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The conversation's header again, after another agent changed its state."""
    return render_header(request, conversation_id)


@require_GET
@desk_view
def canned_responses(request: HttpRequest) -> HttpResponse:
    """Saved replies whose short code starts with what follows the "/" in the composer."""
    prefix = request.GET.get("q", "").lstrip("/").strip()[:50]
    responses = CannedResponse.objects.filter(short_code__startswith=prefix).order_by("short_code")[:8]
    return render(request, "desk/_canned.html", {"responses": responses})


def render_header(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id)
    return render(
        request,
        "desk/_header.html",
        {
            "conversation": conversation,
            "merge_targets": thread_selectors.merge_targets(conversation),
            **desk_choices(request.user),
        },
    )


def _mail_reply(conversation) -> dict | None:
    """What the composer of an email conversation starts with: the thread's subject (with Re:)
    and whoever the customer had in copy."""
    if conversation.inbox.channel_type != ChannelType.EMAIL:
        return None
    context = services.email_reply_context(conversation_id=conversation.pk)
    subject = services.reply_subject(
        context.subject, inbox_name=conversation.inbox.name, conversation_id=conversation.pk
    )
    return {"subject": subject, "cc": ", ".join(context.cc)}
