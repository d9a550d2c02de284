"""Approved message templates: synced from the provider, and sent when the window has closed."""

import logging
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import registry
from ..models import Conversation, Inbox, Message, MessageTemplate
from .messages import message_post_reply

MAX_PARAMETER_LENGTH = 1024
logger = logging.getLogger(__name__)


def templates_sync(*, inbox: Inbox) -> int:
    """Replace `inbox`'s stored templates with the provider's list; returns how many it has.
    A channel without templates keeps none. Provider errors propagate (the caller says so)."""
    fetch = registry.template_source_for(inbox.channel_type)
    if fetch is None:
        return 0
    fetched = [t for t in fetch(inbox) if t.get("name") and t.get("language")]
    now = timezone.now()
    with transaction.atomic():
        kept = []
        for template in fetched:
            stored, _ = MessageTemplate.objects.update_or_create(
                inbox=inbox,
                name=template["name"],
                language=template["language"],
                defaults={
                    "category": template.get("category", ""),
                    "status": template.get("status", ""),
                    "body": template.get("body", ""),
                    "components": template.get("components", []),
                    "synced_at": now,
                },
            )
            kept.append(stored.pk)
        MessageTemplate.objects.filter(inbox=inbox).exclude(pk__in=kept).delete()
    return len(kept)


def templates_sync_all() -> int:
    synced = 0
    for inbox in Inbox.objects.filter(is_active=True, channel_type__in=registry.template_channel_types()):
        try:
            synced += templates_sync(inbox=inbox)
        except registry.DeliveryError as error:
            logger.warning("templates of inbox %s not synced: %s", inbox.pk, error.reason)
    return synced


def message_post_template(
    *,
    conversation: Conversation,
    agent,
    template_id: int,
    parameters: Sequence[str],
    client_message_id: str | None = None,
) -> Message:
    """Send an approved template (allowed at any time, unlike free text past the window). The
    message's body is the rendered text agents and the customer read; `template` says what the
    provider must be asked to send."""
    template = MessageTemplate.objects.filter(pk=template_id, inbox_id=conversation.inbox_id).first()
    if template is None:
        raise ValidationError(
            _("That template does not belong to this inbox; sync the templates and pick again.")
        )
    if not template.is_approved:
        raise ValidationError(
            _("The template “%(name)s” is %(status)s, not approved.")
            % {"name": template.name, "status": template.status.lower()}
        )
    values = [str(value).strip() for value in parameters]
    if len(values) != template.parameter_count or not all(values):
        raise ValidationError(
            _("The template “%(name)s” needs %(count)s value(s).")
            % {"name": template.name, "count": template.parameter_count}
        )
    if any(len(value) > MAX_PARAMETER_LENGTH for value in values):
        raise ValidationError(
            _("A template value may hold at most %(count)s characters.") % {"count": MAX_PARAMETER_LENGTH}
        )
    return message_post_reply(
        conversation=conversation,
        agent=agent,
        body=template.render(values),
        client_message_id=client_message_id,
        template={"name": template.name, "language": template.language, "parameters": values},
    )
