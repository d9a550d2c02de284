"""Agents: creating them with their inboxes and teams, assignment that respects membership, their
replies and the mentions in their notes, and closing their desks when they sign out."""

import hashlib
import re
from collections.abc import Iterable
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations import events
from conversations.event_catalogue import EventType
from conversations.models import Conversation, Inbox, Message
from conversations.services import (
    KEEP,
    Keep,
    conversation_assign,
    message_post_email_reply,
    message_post_reply,
)

from .models import AgentProfile, InboxMembership, Mention, Team
from .presence import agent_group
from .selectors import mention_unread_count, sees_every_inbox

MENTION = re.compile(r"(?<![\w@])@([\w.+-]{2,150})")


def agent_create(
    *,
    username: str,
    email: str,
    password: str,
    display_name: str = "",
    is_admin: bool = False,
    role: str = AgentProfile.Role.AGENT,
    inboxes: Iterable[Inbox] = (),
    teams: Iterable[Team] = (),
) -> AbstractBaseUser:
    """A user who can log in to the desk (and, as admin, to /admin/), with profile and memberships.
    `role`: an AgentProfile.Role; a supervisor works every inbox without being a member of it, and
    gets no admin rights from it (is_admin alone gives those). An unknown role is a ValidationError
    and nothing is written."""
    if role not in AgentProfile.Role.values:
        raise ValidationError(f"{role!r} is not a role: choose one of {', '.join(AgentProfile.Role.values)}.")
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, email=email, password=password, is_staff=True, is_superuser=is_admin
        )
        AgentProfile.objects.create(user=user, display_name=display_name, role=role)
        InboxMembership.objects.bulk_create([InboxMembership(inbox=inbox, agent=user) for inbox in inboxes])
        user.teams.set(teams)
    return user


def agent_can_work_inbox(*, agent: AbstractBaseUser, inbox_id: int) -> bool:
    if not agent.is_active:
        return False
    return sees_every_inbox(agent) or InboxMembership.objects.filter(agent=agent, inbox_id=inbox_id).exists()


def conversation_assign_to_agent(
    *,
    conversation: Conversation,
    assignee: AbstractBaseUser | None,
    actor: AbstractBaseUser | None,
    team: Team | Keep | None = KEEP,
) -> Conversation:
    """Assign after checking that the assignee works this conversation's inbox (administrators and
    supervisors work all).
    `team`: a team, None to clear it, or KEEP (the default) to leave it."""
    if assignee is not None and not agent_can_work_inbox(agent=assignee, inbox_id=conversation.inbox_id):
        raise ValidationError(
            _("%(agent)s is not a member of the inbox %(inbox)s.")
            % {"agent": assignee, "inbox": conversation.inbox}
        )
    return conversation_assign(
        conversation=conversation,
        assignee=assignee,
        actor=actor,
        team_id=team if team is KEEP or team is None else team.pk,
    )


def reply_post(*, email: dict[str, str] | None = None, **reply: Any) -> Message:
    """An agent's reply or private note, and in the same transaction a Mention for each agent the
    note names (mentions_record). `reply`: message_post_reply's arguments; `email`: the subject
    and cc of a reply on an email inbox (message_post_email_reply). Refusals are the posting
    service's ValidationError, with nothing written."""
    with transaction.atomic():
        if email is not None:
            message = message_post_email_reply(**email, **reply)
        else:
            message = message_post_reply(**reply)
        mentions_record(note=message, author=reply["agent"])
    return message


def mentions_record(*, note: Message, author: AbstractBaseUser) -> list[Mention]:
    """A Mention for each agent a private note names as @username who works its inbox (not the
    author, not an inactive user), each told by agent.mentioned after commit. A note already
    recorded (a replayed send) records and tells nobody again. Returns the new mentions."""
    names = set(MENTION.findall(note.body)) if note.is_private else set()
    if not names:
        return []
    named = (
        get_user_model()
        .objects.filter(reduce(or_, (Q(username__iexact=name) for name in names)), is_active=True)
        .exclude(pk=author.pk)
        .exclude(mentions__message=note)
        .select_related("agent_profile")  # whether each works every inbox, without a query each
    )
    mentioned = [user for user in named if agent_can_work_inbox(agent=user, inbox_id=note.inbox_id)]
    created = Mention.objects.bulk_create(
        Mention(agent=user, message=note, author=author, created_at=note.created_at) for user in mentioned
    )
    profile = getattr(author, "agent_profile", None)
    by = getattr(profile, "name", "") or author.get_username()
    for mention in created:
        events.publish_on_commit(
            {
                "type": EventType.AGENT_MENTIONED,
                "conversation_id": note.conversation_id,
                "message_id": note.pk,
                "mention_id": mention.pk,
                "by": by,
                "excerpt": note.body[:140],
                "unread": mention_unread_count(mention.agent),
            },
            groups=[agent_group(mention.agent_id)],
        )
    return created


def mentions_mark_read(*, agent: AbstractBaseUser, mention_ids: list[int] | None = None) -> int:
    """Mark the agent's mentions read: those of `mention_ids` (another agent's are left alone), or
    every one (None). Every desk of the agent is told the new unread count (agent.mentions_read)
    after commit, when anything changed. Returns the unread count."""
    with transaction.atomic():
        unread = Mention.objects.filter(agent_id=agent.pk, read_at__isnull=True)
        if mention_ids is not None:
            unread = unread.filter(pk__in=mention_ids)
        changed = unread.update(read_at=timezone.now())
        count = mention_unread_count(agent)
        if changed:
            events.publish_on_commit(
                {"type": EventType.AGENT_MENTIONS_READ, "mention_ids": mention_ids, "unread": count},
                groups=[agent_group(agent.pk)],
            )
    return count


def session_digest(session_key: str) -> str:
    """How an event names a login session: never by its key, which is the login itself."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def agent_signed_out(*, agent_id: int, session_key: str | None = None) -> None:
    """Close the agent's desks at once, after commit: those of the session `session_key` (a logout),
    or every one (None: a deactivation). The caller has ended the session or deactivated the agent,
    or is about to in the same request; a desk that misses the event notices within its next
    session check (desk.consumers.SESSION_CHECK_SECONDS)."""
    events.publish_on_commit(
        {
            "type": EventType.AGENT_SIGNED_OUT,
            "agent_id": agent_id,
            "session": session_digest(session_key) if session_key else None,
        },
        groups=[agent_group(agent_id)],
    )


def close_desks_on_logout(sender: type, request, user: AbstractBaseUser | None, **kwargs: object) -> None:
    """Django's user_logged_out (the desk's and the admin's logout; connected in AgentsConfig):
    that session's desks close at once. It fires just before the session is flushed."""
    if user is not None and request.session.session_key:
        agent_signed_out(agent_id=user.pk, session_key=request.session.session_key)
