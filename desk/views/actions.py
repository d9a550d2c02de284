"""What agents do to a conversation: reply (with files), mark it read, retry a failed delivery,
the header's actions (assign, team, skill, status, snooze, priority, labels), and the same on
the conversations ticked in the list. Each goes through its service."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agents import selectors
from agents.models import Skill, Team
from agents.selectors import ListFilters, View
from agents.services import conversation_assign_to_agent, reply_post
from conversations import selectors as thread_selectors
from conversations import services
from conversations.files import MAX_FILE_BYTES, safe_file_name, sniff, too_big, unsupported_file
from conversations.models import ChannelType, Conversation, Label, Message

from ..view_helpers import conversation_or_404, desk_view, int_or, refused, sent
from .conversation import render_header
from .entries import ENTRY_RELATED, present_entries


@require_POST
@desk_view
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id)
    try:
        reply = {
            "conversation": conversation,
            "agent": request.user,
            "body": request.POST.get("body", ""),
            "is_private": request.POST.get("private") == "on",
            "client_message_id": request.POST.get("client_message_id") or None,
            "attachments": _attachments(request),
        }
        email = None
        if conversation.inbox.channel_type == ChannelType.EMAIL:  # the composer's Subject and Cc
            email = {"subject": request.POST.get("subject", ""), "cc": request.POST.get("cc", "")}
        message = reply_post(email=email, **reply)
    except ValidationError as error:
        return refused(error)
    return sent(message)


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
    return render_header(request, conversation_id)


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
    message = thread_selectors.message_for_clients(message_id=message_id, related=ENTRY_RELATED)
    entries = present_entries([message], conversation)
    return render(request, "desk/_messages.html", {"conversation": conversation, "entries": entries})


@require_POST
@desk_view
def bulk(request: HttpRequest) -> HttpResponse:
    """One action on the conversations ticked in the list, each through its service; the list then
    refreshes (HX-Trigger). Conversations outside the agent's inboxes are skipped."""
    ids = [int_or(value, default=0) for value in request.POST.getlist("ids")][: selectors.LIST_PAGE_SIZE]
    handler = BULK_ACTIONS.get(request.POST.get("action", ""))
    if handler is None or not ids:
        return refused(ValidationError(_("Tick conversations and pick an action.")))
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


def _assign(request: HttpRequest, conversation: Conversation) -> None:
    """To me, to another agent (who must work the inbox), or to nobody."""
    value = request.POST.get("assignee", "")
    if value == "me":
        assignee = request.user
    elif value:
        assignee = get_user_model().objects.filter(pk=int_or(value, default=0), is_active=True).first()
        if assignee is None:
            raise ValidationError(_("No such agent."))
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
        raise ValidationError(_("Pick a priority."))
    services.conversation_update(conversation=conversation, actor=request.user, priority=level)


def _labels(request: HttpRequest, conversation: Conversation) -> None:
    wanted = [int_or(value, default=0) for value in request.POST.getlist("labels")]
    services.conversation_update(
        conversation=conversation, actor=request.user, labels=Label.objects.filter(pk__in=wanted)
    )


def _merge(request: HttpRequest, conversation: Conversation) -> None:
    """This conversation into the one the agent picked (of their inboxes)."""
    given = request.POST.get("into_number", "").strip().lstrip("#") or request.POST.get("into", "")
    into = int_or(given, default=0)
    if not into:
        raise ValidationError(_("Pick the conversation to merge this one into, or give its number."))
    try:
        survivor = conversation_or_404(request, into, with_labels=False)
    except Http404:
        raise ValidationError(
            _("There is no conversation #%(number)s in your inboxes.") % {"number": into}
        ) from None
    services.conversation_merge(keep=survivor, merge=conversation, actor=request.user)


ACTIONS: dict[str, Callable[[HttpRequest, Conversation], object]] = {
    "merge": _merge,
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
    services.conversation_update(
        conversation=conversation, actor=request.user, add_labels=[_picked_label(request)]
    )


def _remove_label(request: HttpRequest, conversation: Conversation) -> None:
    services.conversation_update(
        conversation=conversation, actor=request.user, remove_labels=[_picked_label(request)]
    )


def _picked_label(request: HttpRequest) -> Label:
    label = Label.objects.filter(pk=int_or(request.POST.get("label"), default=0)).first()
    if label is None:
        raise ValidationError(_("Pick a label."))
    return label


BULK_ACTIONS: dict[str, Callable[[HttpRequest, Conversation], object]] = {
    "assign": _assign,
    "resolve": ACTIONS["resolve"],
    "label": _add_label,
    "unlabel": _remove_label,
}


def _attachments(request: HttpRequest) -> list[services.AttachmentInput]:
    """The composer's files, checked by their content like the widget's."""
    attachments = []
    for upload in request.FILES.getlist("file"):
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(too_big())
        content = upload.read()
        mime_type = sniff(content[:16])
        if mime_type is None:
            raise ValidationError(unsupported_file(upload.name or ""))
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
        raise ValidationError(_("Pick when the snooze ends."))
    if timezone.is_aware(moment):
        return moment
    return (moment + timedelta(minutes=int_or(offset_minutes, default=0))).replace(tzinfo=UTC)
