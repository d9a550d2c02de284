"""The agent desk (/desk/): one page of three panes, its fragments (htmx), and the actions agents
take. Each view reads through agents.selectors or changes through a service; the desk socket
(agents.consumers) tells the page what changed, and the page asks for the fragments again.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from conversations import selectors as thread_selectors
from conversations import services
from conversations.capabilities import capabilities_of, reply_window_closes_at, send_refusal
from conversations.files import MAX_FILE_BYTES, safe_file_name, sniff
from conversations.models import Conversation, Label, Message
from conversations.payloads import SENDER_RELATED

from . import presence, selectors
from .desk_requests import conversation_or_404, desk_view, int_or, refused
from .models import AgentProfile, CannedResponse, SavedFilter, Skill, Team
from .selectors import ListFilters, Sort, View
from .services import conversation_assign_to_agent, note_mention_agents

HISTORY_PAGE = 50
SNOOZE_PRESETS = (
    ("For an hour", timedelta(hours=1)),
    ("For 4 hours", timedelta(hours=4)),
    ("Until tomorrow", timedelta(days=1)),
    ("For a week", timedelta(weeks=1)),
)
Status = Conversation.Status


# --- pages and fragments ---


@require_GET
@desk_view
def desk(request: HttpRequest) -> HttpResponse:
    """The desk: the list of the chosen view, and (with ?c=<id>) one conversation open."""
    filters = _filters(request)
    opened = request.GET.get("c")
    context = {
        **_list_context(request, filters),
        **_choices(request.user),
        **_me_context(request.user),
        **_saved_context(request.user),
        "opened_id": int(opened) if opened and opened.isdigit() else None,
    }
    return render(request, "desk/desk.html", context)


@require_GET
@desk_view
def conversation_list(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/_list.html", _list_context(request, _filters(request)))


@require_GET
@desk_view
def conversation_pane(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id)
    messages = thread_selectors.message_history_before(
        conversation_id=conversation.pk,
        before_seq=conversation.last_seq + 1,
        include_private=True,
        limit=HISTORY_PAGE + 1,
        related=SENDER_RELATED,
    )
    return render(
        request,
        "desk/_conversation.html",
        {
            "conversation": conversation,
            "entries": messages[-HISTORY_PAGE:],
            "has_older": len(messages) > HISTORY_PAGE,
            "capabilities": capabilities_of(conversation.inbox.channel_type),
            "window_closes_at": reply_window_closes_at(conversation),
            "reply_refusal": send_refusal(conversation, body="", by_person=True),
            "now": timezone.now(),
            **_choices(request.user),
            **_customer_context(conversation),
        },
    )


@require_GET
@desk_view
def history_before(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Older messages, for scrolling back: keyset on (conversation, seq)."""
    conversation = conversation_or_404(request, conversation_id, with_labels=False)
    messages = thread_selectors.message_history_before(
        conversation_id=conversation.pk,
        before_seq=int_or(request.GET.get("before"), default=conversation.last_seq + 1),
        include_private=True,
        limit=HISTORY_PAGE + 1,
        related=SENDER_RELATED,
    )
    return render(
        request,
        "desk/_older.html",
        {
            "conversation": conversation,
            "entries": messages[-HISTORY_PAGE:],
            "has_older": len(messages) > HISTORY_PAGE,
        },
    )


@require_GET
@desk_view
def history_after(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Messages after `seq`: what the open conversation appends when the socket says there is more."""
    conversation = conversation_or_404(request, conversation_id, with_labels=False)
    messages = thread_selectors.message_history_after(
        conversation_id=conversation.pk,
        after_seq=int_or(request.GET.get("seq"), default=0),
        include_private=True,
        limit=200,
        related=SENDER_RELATED,
    )
    return render(request, "desk/_messages.html", {"conversation": conversation, "entries": messages})


@require_GET
@desk_view
def header(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The conversation's header again, after another agent changed its state."""
    return _render_header(request, conversation_id)


@require_GET
@desk_view
def canned_responses(request: HttpRequest) -> HttpResponse:
    """Saved replies whose short code starts with what follows the "/" in the composer."""
    prefix = request.GET.get("q", "").lstrip("/").strip()[:50]
    responses = CannedResponse.objects.filter(short_code__startswith=prefix).order_by("short_code")[:8]
    return render(request, "desk/_canned.html", {"responses": responses})


@require_POST
@desk_view
def availability(request: HttpRequest) -> HttpResponse:
    """The agent's switch: available, or away while the desk stays open."""
    presence.agent_set_accepting(agent=request.user, accepting=request.POST.get("accepting") == "on")
    return render(request, "desk/_me.html", _me_context(request.user))


@require_POST
@desk_view
def notification_settings(request: HttpRequest) -> HttpResponse:
    """How the desk gets the agent's attention: a chime, browser notifications."""
    AgentProfile.objects.update_or_create(
        user=request.user,
        defaults={
            "notify_sound": request.POST.get("notify_sound") == "on",
            "notify_browser": request.POST.get("notify_browser") == "on",
        },
    )
    return render(request, "desk/_me.html", _me_context(request.user))


@require_GET
@desk_view
def me(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/_me.html", _me_context(request.user))


@require_POST
@desk_view
def save_filter(request: HttpRequest) -> HttpResponse:
    """Keep the list's current filters under a name (the same name replaces the old one)."""
    name = request.POST.get("name", "").strip()[:60]
    if not name:
        return refused(ValidationError("Name the view to save it."))
    query = _without(request.POST, "name", "csrfmiddlewaretoken", "after")
    SavedFilter.objects.update_or_create(agent=request.user, name=name, defaults={"query": query[:500]})
    return render(request, "desk/_saved.html", _saved_context(request.user))


@require_POST
@desk_view
def delete_filter(request: HttpRequest, filter_id: int) -> HttpResponse:
    SavedFilter.objects.filter(agent=request.user, pk=filter_id).delete()
    return render(request, "desk/_saved.html", _saved_context(request.user))


@require_POST
@desk_view
def bulk(request: HttpRequest) -> HttpResponse:
    """One action on the conversations ticked in the list, each through its service; the list then
    refreshes (HX-Trigger). Conversations outside the agent's inboxes are skipped."""
    ids = [int_or(value, default=0) for value in request.POST.getlist("ids")][: selectors.LIST_PAGE_SIZE]
    handler = BULK_ACTIONS.get(request.POST.get("action", ""))
    if handler is None or not ids:
        return refused(ValidationError("Tick conversations and pick an action."))
    chosen = selectors.desk_conversations(request.user, ListFilters(view=View.ALL, status="all")).filter(
        pk__in=ids
    )
    try:
        for conversation in chosen:
            handler(request, conversation)
    except ValidationError as error:
        return refused(error)
    response = HttpResponse(status=204)
    response["HX-Trigger"] = "parley:bulk"
    return response


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
    return _render_customer_panel(request, conversation_id)


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
    return _render_customer_panel(request, conversation_id)


# --- actions ---


@require_POST
@desk_view
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id)
    try:
        attachments = _attachments(request)
        message = services.message_post_reply(
            conversation=conversation,
            agent=request.user,
            body=request.POST.get("body", ""),
            is_private=request.POST.get("private") == "on",
            client_message_id=request.POST.get("client_message_id") or None,
            attachments=attachments,
        )
    except ValidationError as error:
        return refused(error)
    note_mention_agents(note=message, author=request.user)
    # The page appends it with everything else new (one path, so never twice): see desk.js.
    response = HttpResponse(status=204)
    response["HX-Trigger"] = json.dumps({"parley:sent": {"seq": message.seq}})
    return response


@require_POST
@desk_view
def mark_read(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id)
    services.conversation_mark_read_by_agent(
        conversation=conversation,
        agent=request.user,
        up_to_seq=int_or(request.POST.get("seq"), default=conversation.last_seq),
    )
    return HttpResponse(status=204)


@require_POST
@desk_view
def act(request: HttpRequest, conversation_id: int, action: str) -> HttpResponse:
    """One of the conversation's actions; answers the header again, as it now is."""
    conversation = conversation_or_404(request, conversation_id)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("No such action.")
    try:
        handler(request, conversation)
    except ValidationError as error:
        return refused(error)
    return _render_header(request, conversation_id)


@require_POST
@desk_view
def retry(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id)
    if not Message.objects.filter(pk=message_id, conversation=conversation).exists():
        raise Http404("No such message.")
    try:
        services.message_retry_delivery(message_id=message_id)
    except ValidationError as error:
        return refused(error)
    message = thread_selectors.message_for_clients(message_id=message_id, related=SENDER_RELATED)
    return render(request, "desk/_messages.html", {"conversation": conversation, "entries": [message]})


def _assign(request: HttpRequest, conversation: Conversation) -> None:
    """To me, to another agent (who must work the inbox), or to nobody."""
    value = request.POST.get("assignee", "")
    if value == "me":
        assignee = request.user
    elif value:
        assignee = get_user_model().objects.filter(pk=int_or(value, default=0), is_active=True).first()
        if assignee is None:
            raise ValidationError("No such agent.")
    else:
        assignee = None
    conversation_assign_to_agent(conversation=conversation, assignee=assignee, actor=request.user)


def _team(request: HttpRequest, conversation: Conversation) -> None:
    """Move the conversation to a team (or none), keeping its assignee."""
    team = Team.objects.filter(pk=int_or(request.POST.get("team"), default=0)).first()
    conversation_assign_to_agent(
        conversation=conversation, assignee=conversation.assignee, actor=request.user, team=team
    )


def _skill(request: HttpRequest, conversation: Conversation) -> None:
    """What the conversation needs of whoever answers it (or nothing in particular)."""
    skill = Skill.objects.filter(pk=int_or(request.POST.get("skill"), default=0)).first()
    services.conversation_set_skill(
        conversation=conversation, skill_id=skill.pk if skill else None, actor=request.user
    )


def _snooze(request: HttpRequest, conversation: Conversation) -> None:
    until = _until(request.POST.get("until", ""), request.POST.get("offset", ""))
    services.conversation_snooze(conversation=conversation, until=until, actor=request.user)


def _priority(request: HttpRequest, conversation: Conversation) -> None:
    level = int_or(request.POST.get("priority"), default=-1)
    if level not in Conversation.Priority.values:
        raise ValidationError("Pick a priority.")
    services.conversation_update(conversation=conversation, actor=request.user, priority=level)


def _labels(request: HttpRequest, conversation: Conversation) -> None:
    wanted = [int_or(value, default=0) for value in request.POST.getlist("labels")]
    services.conversation_update(
        conversation=conversation, actor=request.user, labels=Label.objects.filter(pk__in=wanted)
    )


ACTIONS: dict[str, Callable[[HttpRequest, Conversation], object]] = {
    "assign": _assign,
    "team": _team,
    "skill": _skill,
    "resolve": lambda request, c: services.conversation_resolve(conversation=c, actor=request.user),
    "reopen": lambda request, c: services.conversation_reopen(conversation=c, actor=request.user),
    "pending": lambda request, c: services.conversation_mark_pending(conversation=c, actor=request.user),
    "snooze": _snooze,
    "priority": _priority,
    "labels": _labels,
}


def _add_label(request: HttpRequest, conversation: Conversation) -> None:
    label = Label.objects.filter(pk=int_or(request.POST.get("label"), default=0)).first()
    if label is None:
        raise ValidationError("Pick a label.")
    services.conversation_update(
        conversation=conversation, actor=request.user, labels=[*conversation.labels.all(), label]
    )


BULK_ACTIONS: dict[str, Callable[[HttpRequest, Conversation], object]] = {
    "assign": _assign,
    "resolve": ACTIONS["resolve"],
    "label": _add_label,
}


# --- helpers ---


def _render_header(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id)
    return render(request, "desk/_header.html", {"conversation": conversation, **_choices(request.user)})


def _render_customer_panel(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The customer panel again, as the contact now is (after an edit or a merge)."""
    return render(
        request, "desk/_customer.html", _customer_context(conversation_or_404(request, conversation_id))
    )


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
    rows = selectors.desk_conversations(request.user, filters)
    after = int_or(request.GET.get("after"), default=None)
    if after is not None:
        cursor = Conversation.objects.filter(pk=after).first()
        if cursor is not None:
            rows = selectors.after_row(rows, filters.sort, cursor)
    page = list(rows[: selectors.LIST_PAGE_SIZE + 1])
    now = timezone.now()
    for row in page:
        row.waiting_minutes = selectors.waiting_minutes(row.waiting_since, now)
    return {
        "filters": filters,
        "rows": page[: selectors.LIST_PAGE_SIZE],
        "next_after": page[selectors.LIST_PAGE_SIZE - 1].pk if len(page) > selectors.LIST_PAGE_SIZE else None,
        "appending": after is not None,
        "query_string": _without(request.GET, "after"),
    }


def _without(query, *names: str) -> str:
    kept = query.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()


def _saved_context(agent) -> dict:
    return {"saved_filters": list(SavedFilter.objects.filter(agent=agent))}


def _choices(agent) -> dict:
    """What the filters and actions offer: inboxes, teams, skills, labels, agents; one query each."""
    inboxes = list(selectors.desk_inboxes(agent))
    now = timezone.now()
    return {
        "inboxes": inboxes,
        "teams": list(Team.objects.order_by("name")),
        "skills": list(Skill.objects.order_by("name")),
        "labels": list(Label.objects.order_by("name")),
        "agents": list(
            AgentProfile.objects.filter(user__is_active=True).select_related("user").order_by("display_name")
        ),
        "snooze_presets": [(label, now + delta) for label, delta in SNOOZE_PRESETS],
        "statuses": Status.choices,
        "priorities": Conversation.Priority.choices,
        "views": ((View.MINE, "Mine"), (View.UNASSIGNED, "Unassigned"), (View.ALL, "All")),
        "sorts": (
            (Sort.ACTIVITY, "Last activity"),
            (Sort.WAITING, "Longest waiting"),
            (Sort.PRIORITY, "Priority"),
        ),
    }


def _me_context(agent) -> dict:
    profile, _ = AgentProfile.objects.get_or_create(user=agent)
    return {"profile": profile, "load": selectors.agent_load(agent)}


def _customer_context(conversation: Conversation) -> dict:
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


def _attachments(request: HttpRequest) -> list[services.AttachmentInput]:
    """The composer's files, checked by their content like the widget's."""
    attachments = []
    for upload in request.FILES.getlist("file"):
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError("Files are limited to 10 MB.")
        content = upload.read()
        mime_type = sniff(content[:16])
        if mime_type is None:
            raise ValidationError("Attach an image (JPEG, PNG, GIF, WebP) or a PDF.")
        attachments.append(
            services.AttachmentInput(
                mime_type=mime_type, file_name=safe_file_name(upload.name or "", mime_type), content=content
            )
        )
    return attachments


def _until(value: str, offset_minutes: str) -> datetime:
    """When a snooze ends: an ISO moment (the presets), or a datetime-local field's wall-clock
    time with the agent's browser offset (getTimezoneOffset(): minutes to add to reach UTC)."""
    moment = parse_datetime(value)
    if moment is None:
        raise ValidationError("Pick when the snooze ends.")
    if timezone.is_aware(moment):
        return moment
    return (moment + timedelta(minutes=int_or(offset_minutes, default=0))).replace(tzinfo=UTC)
