"""Automation in the open conversation: the rules' log (the customer panel loads it), and the
macros menu of the header, which shows each macro's steps before the agent applies it."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from automation import selectors, services

from ..view_helpers import conversation_or_404, desk_view, refused, thread_or_404
from .conversation import render_header


@require_GET
@desk_view
def automation_log(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = thread_or_404(request, conversation_id)
    runs = selectors.rule_runs_for_conversation(conversation.pk)
    return render(request, "desk/_automation_log.html", {"conversation": conversation, "runs": runs})


@require_GET
@desk_view
def macro_menu(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The agent's macros (shared and their own), each with its steps, to confirm before applying."""
    conversation = thread_or_404(request, conversation_id)
    macros = selectors.macros_for_agent(request.user)
    return render(request, "desk/_macros.html", {"conversation": conversation, "macros": macros})


@require_POST
@desk_view
def macro_apply(request: HttpRequest, conversation_id: int, macro_id: int) -> HttpResponse:
    """Apply every step or none; answers the header again, as it now is."""
    conversation = conversation_or_404(request, conversation_id)
    macro = selectors.macro_for_agent(request.user, macro_id)
    if macro is None:
        raise Http404("No such macro.")
    try:
        services.macro_apply(macro=macro, conversation=conversation, agent=request.user)
    except ValidationError as error:
        return refused(error)
    return render_header(request, conversation_id)
