"""What every desk view shares: who may call it, the conversation it names (or 404), a refusal the
page shows where the action was, numbers read leniently from a form or a query string, and a
query string without the parameters a link sets itself."""

import json
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict

from agents import selectors
from conversations.models import Conversation, Message


def desk_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in as staff (every agent is), or off to the desk's login page."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise Http404("Agents only.")
        return view(request, *args, **kwargs)

    return login_required(checked)


def conversation_or_404(
    request: HttpRequest, conversation_id: int, *, with_labels: bool = True
) -> Conversation:
    conversation = selectors.desk_conversation(request.user, conversation_id, with_labels=with_labels)
    if conversation is None:
        raise Http404("No such conversation in your inboxes.")
    return conversation


def thread_or_404(request: HttpRequest, conversation_id: int) -> Conversation:
    """conversation_or_404 for a page of history: the conversation with its contact only."""
    conversation = selectors.desk_thread(request.user, conversation_id)
    if conversation is None:
        raise Http404("No such conversation in your inboxes.")
    return conversation


def refused(error: ValidationError) -> HttpResponse:
    """A refusal: 422 and, as plain text, the sentence that says what to do. Nothing is swapped;
    the page shows the sentence in the refusal region nearest the element that acted
    (static/desk/refusals.js), so what the agent typed stays where it was."""
    return HttpResponse(" ".join(error.messages), status=422, content_type="text/plain")


def sent(message: Message) -> HttpResponse:
    """A reply or note stored: no body, the page appends it with everything else new after the
    seq it was told (one path, so never twice: static/desk/desk.js)."""
    response = HttpResponse(status=204)
    response["HX-Trigger"] = json.dumps({"parley:sent": {"seq": message.seq}})
    return response


def int_or(value: str | None, *, default):
    """`value` as an int, or `default` when it is missing or not a number."""
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def query_without(query: QueryDict, *names: str) -> str:
    """`query` url-encoded without `names`: a list's filters, kept in its "more" and save links."""
    kept = query.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()
