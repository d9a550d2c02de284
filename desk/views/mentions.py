"""The agent's mentions: the notes that named them, newest first, in a panel of the top bar, and
its unread badge. Opening one marks it read; so does "Mark all read". Every desk of the agent
hears the new unread count (agent.mentions_read), so the badge agrees in all their tabs."""

import json

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from agents import selectors
from agents.services import mentions_mark_read

from ..view_helpers import desk_view

MENTIONS_HEADER = "parley:mentions"  # the HX-Trigger event that carries the new unread count


@require_GET
@desk_view
def mention_list(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/_mentions.html", mentions_context(request.user))


@require_GET
@desk_view
def mention_unread(request: HttpRequest) -> HttpResponse:
    """The badge's count, for a desk that (re)connected and may have missed events."""
    return JsonResponse({"unread": selectors.mention_unread_count(request.user)})


@require_POST
@desk_view
def mention_read(request: HttpRequest, mention_id: int) -> HttpResponse:
    """The agent opened this mention (the page opens its conversation at the note)."""
    unread = mentions_mark_read(agent=request.user, mention_ids=[mention_id])
    return _with_unread(HttpResponse(status=204), unread)


@require_POST
@desk_view
def mentions_read_all(request: HttpRequest) -> HttpResponse:
    unread = mentions_mark_read(agent=request.user)
    return _with_unread(render(request, "desk/_mentions.html", mentions_context(request.user)), unread)


def mentions_context(agent: AbstractBaseUser) -> dict:
    """The panel's page of mentions (one query, however many) and its unread count (one more)."""
    page = list(selectors.agent_mentions(agent)[: selectors.MENTIONS_PAGE_SIZE])
    return {"mentions": page, "mentions_unread": selectors.mention_unread_count(agent)}


def mentions_badge_context(agent: AbstractBaseUser) -> dict:
    """What the desk page's top bar shows before any event: the unread count."""
    return {"mentions_unread": selectors.mention_unread_count(agent)}


def _with_unread(response: HttpResponse, unread: int) -> HttpResponse:
    """The tab that acted updates its badge from the answer, before the event reaches it."""
    response["HX-Trigger"] = json.dumps({MENTIONS_HEADER: {"unread": unread}})
    return response
