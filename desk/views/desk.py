"""The desk page and its conversation list: the chosen view, its filters and sort, pages by
keyset, one row where an event says it changed, and the filters an agent saves under a name."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agents import selectors
from agents.models import DESK_LANGUAGES, SavedFilter
from agents.selectors import ListFilters, Sort, View
from conversations.models import Conversation

from ..view_helpers import desk_view, int_or, query_without, refused
from .choices import desk_choices
from .me import me_context
from .mentions import mentions_badge_context
from .rows import ROW_FIELDS, present_rows

Status = Conversation.Status


@require_GET
@desk_view
def desk(request: HttpRequest) -> HttpResponse:
    """The desk: the list of the chosen view, and (with ?c=<id>) one conversation open."""
    filters = _filters(request)
    opened = request.GET.get("c")
    context = {
        **_list_context(request, filters),
        **desk_choices(request.user),
        **me_context(request.user),
        **mentions_badge_context(request.user),
        **_saved_context(request.user),
        "opened_id": int(opened) if opened and opened.isdigit() else None,
        "desk_languages": DESK_LANGUAGES,
    }
    return render(request, "desk/desk.html", context)


@require_GET
@desk_view
def conversation_list(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/_list.html", _list_context(request, _filters(request)))


@require_GET
@desk_view
def conversation_row(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One row of the agent's list under its filters, for a desk an event told that this
    conversation changed (static/desk/rows.js): the row, or nothing when it has left the list,
    and in ROW_AFTER_HEADER the id of the row it goes below (empty: at the top)."""
    filters = _filters(request)
    listed = selectors.desk_conversations(request.user, filters).only(*ROW_FIELDS)
    row = listed.filter(pk=conversation_id).first()
    rows = [] if row is None else present_rows([row], now=timezone.now())
    response = render(request, "desk/_list.html", {"rows": rows, "appending": True})
    if row is not None:
        response[ROW_AFTER_HEADER] = str(selectors.row_before(request.user, filters, row) or "")
    return response


ROW_AFTER_HEADER = "X-Row-After"


@require_POST
@desk_view
def save_filter(request: HttpRequest) -> HttpResponse:
    """Keep the list's current filters under a name (the same name replaces the old one)."""
    name = request.POST.get("name", "").strip()[:60]
    if not name:
        return refused(ValidationError(_("Name the view to save it.")))
    query = query_without(request.POST, "name", "csrfmiddlewaretoken", "after")
    SavedFilter.objects.update_or_create(agent=request.user, name=name, defaults={"query": query[:500]})
    return render(request, "desk/_saved.html", _saved_context(request.user))


@require_POST
@desk_view
def delete_filter(request: HttpRequest, filter_id: int) -> HttpResponse:
    SavedFilter.objects.filter(agent=request.user, pk=filter_id).delete()
    return render(request, "desk/_saved.html", _saved_context(request.user))


def _filters(request: HttpRequest) -> ListFilters:
    query = request.GET
    view = query.get("view", View.MINE)
    status = query.get("status", Status.OPEN)
    sort = query.get("sort", Sort.ACTIVITY)
    return ListFilters(
        view=view if view in View.CHOICES else View.MINE,
        status=status if status in (*Status.values, "all") else Status.OPEN,
        sort=sort if sort in Sort.CHOICES else Sort.ACTIVITY,
        inbox_id=int_or(query.get("inbox"), default=None),
        team_id=int_or(query.get("team"), default=None),
        label_id=int_or(query.get("label"), default=None),
        query=query.get("q", "").strip(),
    )


def _list_context(request: HttpRequest, filters: ListFilters) -> dict:
    after = int_or(request.GET.get("after"), default=None)
    cursor = None if after is None else Conversation.objects.filter(pk=after).first()
    rows = selectors.list_page(request.user, filters, after=cursor).only(*ROW_FIELDS)
    page = list(rows[: selectors.LIST_PAGE_SIZE + 1])
    return {
        "filters": filters,
        "rows": present_rows(page[: selectors.LIST_PAGE_SIZE], now=timezone.now()),
        "next_after": page[selectors.LIST_PAGE_SIZE - 1].pk if len(page) > selectors.LIST_PAGE_SIZE else None,
        "appending": after is not None,
        "query_string": query_without(request.GET, "after"),
    }


def _saved_context(agent: AbstractBaseUser) -> dict:
    return {"saved_filters": list(SavedFilter.objects.filter(agent=agent))}
