"""What an agent's desk socket may read and announce, each checked against inbox membership.

Synchronous; the desk consumer runs them through database_sync_to_async.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from agents.selectors import desk_inboxes
from conversations import selectors
from conversations.models import Conversation
from conversations.payloads import SENDER_RELATED, conversation_payload, message_payload
from conversations.refusals import Refused
from conversations.sockets import fit_page


def desk_inbox_ids(agent: AbstractBaseUser) -> list[int]:
    """The inboxes whose events this agent receives: the active inboxes they work (their
    memberships; every one for administrators and supervisors), as the desk's pages list them."""
    return list(desk_inboxes(agent).order_by("pk").values_list("pk", flat=True))


def desk_session_valid(*, agent_id: int, session_key: str | None, session_class: str) -> bool:
    """Still the same logged-in, active user? False after logout (session gone) or deactivation."""
    if not session_key:
        return False
    session: SessionBase = import_string(session_class)(session_key)
    if str(session.get("_auth_user_id")) != str(agent_id):
        return False
    return get_user_model().objects.filter(pk=agent_id, is_active=True).exists()


def conversation_for_agent(agent: AbstractBaseUser, conversation_id: int) -> Conversation:
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or conversation.inbox_id not in desk_inbox_ids(agent):
        raise Refused(
            "not_found",
            _("This conversation is no longer in your inboxes: reload the desk for the ones you work."),
        )
    return conversation


def history_after(agent: AbstractBaseUser, *, conversation_id: int, after_seq: int, limit: int) -> dict:
    conversation = conversation_for_agent(agent, conversation_id)
    page = selectors.message_page(
        conversation_id=conversation.pk,
        include_private=True,
        after_seq=after_seq,
        limit=limit,
        related=SENDER_RELATED,
    )
    messages, left_out = fit_page([message_payload(message, for_agents=True) for message in page.messages])
    return {
        "conversation": conversation_payload(conversation),
        "has_more": page.has_more or left_out,
        "messages": messages,
    }
