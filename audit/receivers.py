"""What the audit log hears without anyone calling it: sign-ins from django.contrib.auth's
signals (the desk's and the admin's login pages alike), API keys issued, and assignments and
merges from the core's durable events, written inside the transaction of the change itself.

The durable subscriber hears every event, messages included; for anything but an assignment or a
merge it does one set lookup and returns (no query, no allocation on the message path).
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from rest_framework.authtoken.models import Token

from conversations import events
from conversations.event_catalogue import EventType
from conversations.models import Conversation

from .actors import LABEL_LENGTH, Actor, ActorKind, Target
from .context import NOWHERE, Origin, actor_in_request, actor_without_person, current_request
from .models import Action
from .services import record, record_many, user_target

ActorOf = Callable[[int | None], tuple[Actor, Origin]]  # a user id to the actor, read once a batch
AUDITED_EVENTS = frozenset({EventType.CONVERSATION_ASSIGNED, EventType.CONVERSATION_MERGED})


def signed_in(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    record(
        actor=Actor.for_user(user),
        action=Action.SIGNED_IN,
        target=user_target(user),
        details={"door": door_of(request)},
        request=request,
    )


def signed_out(
    sender: Any, request: HttpRequest | None, user: AbstractBaseUser | None, **kwargs: Any
) -> None:
    if user is None:  # nobody was signed in
        return
    record(
        actor=Actor.for_user(user),
        action=Action.SIGNED_OUT,
        target=user_target(user),
        details={"door": door_of(request)},
        request=request,
    )


def sign_in_failed(sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """The name tried (Django has already masked the password): the account's own entry if
    there is one, so an administrator looking at a user sees the attempts on them."""
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "")
    user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    target = user_target(user) if user is not None else Target("auth.user", "", username[:LABEL_LENGTH])
    record(
        actor=Actor(ActorKind.ANONYMOUS, "", username[:LABEL_LENGTH]),
        action=Action.SIGN_IN_FAILED,
        target=target,
        details={"door": door_of(request)},
        request=request,
    )


def api_key_issued(sender: Any, instance: Token, created: bool, **kwargs: Any) -> None:
    """A new key (the API's POST /api/v1/profile/token, `manage.py drf_create_token`): who made it
    for whom; the key itself is never written."""
    if not created:
        return
    request = current_request.get()
    acting = getattr(request, "user", None)
    if acting is not None and acting.is_authenticated:
        actor, origin = actor_in_request(acting)
    else:
        actor, origin = Actor.system(), NOWHERE  # a command (drf_create_token), a shell
    record(actor=actor, action=Action.API_KEY_ISSUED, target=user_target(instance.user), origin=origin)


def record_conversation_events(batch: Sequence[events.Event]) -> None:
    """The batch's assignments and merges, in one INSERT (a sweep ending a hundred chats
    unassigns a hundred), each person behind them read once."""
    audited = [event for event in batch if event["type"] in AUDITED_EVENTS]
    if not audited:
        return
    actors: dict[int | None, tuple[Actor, Origin]] = {}

    def actor_of(user_id: int | None) -> tuple[Actor, Origin]:
        if user_id not in actors:
            actors[user_id] = _actor_of(user_id)
        return actors[user_id]

    record_many(
        _assigned(event, actor_of)
        if event["type"] == EventType.CONVERSATION_ASSIGNED
        else _merged(event, actor_of)
        for event in audited
    )


def _assigned(event: events.Event, actor_of: ActorOf) -> dict[str, Any]:
    actor, origin = actor_of(event.get("actor_id"))
    return {
        "actor": actor,
        "action": Action.CONVERSATION_ASSIGNED,
        "target": _conversation(event["conversation_id"]),
        "details": {
            "inbox_id": event["inbox_id"],
            "assignee_id": event["assignee_id"],
            "assignee": event["assignee_name"],
            "team_id": event["team_id"],
        },
        "origin": origin,
    }


def _merged(event: events.Event, actor_of: ActorOf) -> dict[str, Any]:
    """The event is about the merged-away conversation, which names who merged it."""
    merged_by = (
        Conversation.objects.filter(pk=event["conversation_id"])
        .values_list("merged_by_id", flat=True)
        .first()
    )
    actor, origin = actor_of(merged_by)
    return {
        "actor": actor,
        "action": Action.CONVERSATION_MERGED,
        "target": _conversation(event["conversation_id"]),
        "details": {"inbox_id": event["inbox_id"], "into_conversation_id": event["into_conversation_id"]},
        "origin": origin,
    }


def _actor_of(user_id: int | None) -> tuple[Actor, Origin]:
    """The person behind an event (None: a rule acting now, else Parley itself, e.g. routing),
    with the current request's origin when they are the one making it."""
    if user_id is None:
        return actor_without_person(), NOWHERE
    request = current_request.get()
    user = getattr(request, "user", None)
    if user is None or user.pk != user_id:
        user = get_user_model().objects.select_related("agent_profile").filter(pk=user_id).first()
    if user is None:
        return Actor(ActorKind.AGENT, str(user_id), f"user #{user_id}"), NOWHERE
    return actor_in_request(user)


def _conversation(conversation_id: int) -> Target:
    return Target.from_model(Conversation, conversation_id, f"Conversation #{conversation_id}")


def door_of(request: HttpRequest | None) -> str:
    """Which login page: the admin's, the desk's, or none (a test's or a script's force_login)."""
    path = getattr(request, "path", "") or ""
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/desk/"):
        return "desk"
    return "other"
