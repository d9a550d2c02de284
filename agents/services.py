"""Agents: creating them with their inboxes and teams, and assignment that respects membership."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from conversations.models import Conversation, Inbox
from conversations.services import KEEP, conversation_assign
from conversations.services.conversations import Keep

from .models import AgentProfile, InboxMembership, Team


def agent_create(
    *,
    username: str,
    email: str,
    password: str,
    display_name: str = "",
    is_admin: bool = False,
    inboxes: Iterable[Inbox] = (),
    teams: Iterable[Team] = (),
) -> AbstractBaseUser:
    """A user who can log in to the desk (and, as admin, to /admin/), with profile and memberships."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, email=email, password=password, is_staff=True, is_superuser=is_admin
        )
        AgentProfile.objects.create(user=user, display_name=display_name)
        InboxMembership.objects.bulk_create([InboxMembership(inbox=inbox, agent=user) for inbox in inboxes])
        user.teams.set(teams)
    return user


def agent_can_work_inbox(*, agent: AbstractBaseUser, inbox_id: int) -> bool:
    if not agent.is_active:
        return False
    return agent.is_superuser or InboxMembership.objects.filter(agent=agent, inbox_id=inbox_id).exists()


def conversation_assign_to_agent(
    *,
    conversation: Conversation,
    assignee: AbstractBaseUser | None,
    actor: AbstractBaseUser | None,
    team: Team | Keep | None = KEEP,
) -> Conversation:
    """Assign after checking that the assignee works this conversation's inbox (admins work all).
    `team`: a team, None to clear it, or KEEP (the default) to leave it."""
    if assignee is not None and not agent_can_work_inbox(agent=assignee, inbox_id=conversation.inbox_id):
        raise ValidationError(f"{assignee} is not a member of the inbox {conversation.inbox}.")
    return conversation_assign(
        conversation=conversation,
        assignee=assignee,
        actor=actor,
        team_id=team if team is KEEP or team is None else team.pk,
    )
