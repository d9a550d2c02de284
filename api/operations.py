"""Requests that take more than one core service, each made all-or-nothing here; and the API
token, which is this app's own.

Every change to conversations and contacts still goes through conversations.services: these
functions only choose and combine them. Events stay after commit: the services publish with
on_commit, which waits for the outer transaction opened here.
"""

import secrets
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from conversations import services
from conversations.models import Contact, Conversation, Inbox, Label
from conversations.services import KEEP, Keep

Status = Conversation.Status


def contact_create(
    *, inbox: Inbox, source_id: str = "", name: str = "", email: str = "", phone: str = "", language: str = ""
) -> Contact:
    """A contact known on `inbox` as `source_id` (a fresh opaque id when none is given), with the
    details given. The caller has checked that the identity is new and the details are valid
    (the services check again and raise ValidationError)."""
    with transaction.atomic():
        contact = services.contact_identify(
            inbox=inbox,
            source_id=source_id or f"api-{secrets.token_hex(12)}",
            name=name,
            email=email,
            phone=phone,
        )
        if language:
            contact = services.contact_update_details(contact=contact, language=language)
        return contact


def conversation_change(
    *,
    conversation: Conversation,
    actor: AbstractBaseUser,
    status: str | None = None,
    snoozed_until: datetime | None = None,
    priority: int | Keep = KEEP,
    labels: Iterable[Label] | Keep = KEEP,
) -> Conversation:
    """Status (with `snoozed_until` for snoozed), priority and labels, all applied or none."""
    with transaction.atomic():
        if status == Status.SNOOZED:
            if snoozed_until is None:
                raise ValidationError("Say until when to snooze: snoozed_until.")
            conversation = services.conversation_snooze(
                conversation=conversation, until=snoozed_until, actor=actor
            )
        elif status is not None:
            conversation = STATUS_CHANGES[status](conversation=conversation, actor=actor)
        if priority is not KEEP or labels is not KEEP:
            conversation = services.conversation_update(
                conversation=conversation, actor=actor, priority=priority, labels=labels
            )
        return conversation


STATUS_CHANGES = {
    Status.OPEN: services.conversation_reopen,
    Status.PENDING: services.conversation_mark_pending,
    Status.RESOLVED: services.conversation_resolve,
}


def agent_token_regenerate(*, agent: AbstractBaseUser) -> Token:
    """A new API token for the agent; the old one stops working at once."""
    with transaction.atomic():
        Token.objects.filter(user=agent).delete()
        return Token.objects.create(user=agent)
