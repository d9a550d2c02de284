"""The desk's template picker: once a customer's window has closed, channels like WhatsApp let a
business send only an approved template. The agent picks one, fills its values and sends it."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from conversations import selectors as thread_selectors
from conversations import services
from conversations.models import Conversation
from conversations.registry import DeliveryError

from .view_helpers import conversation_or_404, desk_view, int_or, refused, sent


@require_GET
@desk_view
def picker(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The picker, with the chosen template's value fields (htmx swaps it when the choice changes)."""
    conversation = conversation_or_404(request, conversation_id, with_labels=False)
    return _render(request, conversation, chosen_id=int_or(request.GET.get("template"), default=None))


@require_POST
@desk_view
def send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id, with_labels=False)
    try:
        message = services.message_post_template(
            conversation=conversation,
            agent=request.user,
            template_id=int_or(request.POST.get("template"), default=0),
            parameters=request.POST.getlist("value"),
            client_message_id=request.POST.get("client_message_id") or None,
        )
    except ValidationError as error:
        return refused(error)
    return sent(message)


@require_POST
@desk_view
def sync(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Fetch the inbox's templates from the provider now (beat also does it hourly)."""
    conversation = conversation_or_404(request, conversation_id, with_labels=False)
    try:
        services.templates_sync(inbox=conversation.inbox)
    except DeliveryError as error:
        return refused(
            ValidationError(_("Could not fetch the templates: %(reason)s") % {"reason": error.reason})
        )
    return _render(request, conversation, chosen_id=None)


def _render(request: HttpRequest, conversation: Conversation, *, chosen_id: int | None) -> HttpResponse:
    templates = thread_selectors.approved_templates(conversation.inbox_id)
    chosen = next((t for t in templates if t.pk == chosen_id), None)
    return render(
        request,
        "desk/_template_picker.html",
        {
            "conversation": conversation,
            "templates": templates,
            "chosen": chosen,
            "value_numbers": range(1, chosen.parameter_count + 1) if chosen else (),
        },
    )
