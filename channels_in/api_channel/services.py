"""The API channel's writes: each combines the core's services for one request of the business."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from conversations import jobs, services
from conversations import selectors as core_selectors
from conversations.models import Attachment, ContactIdentity, Inbox, Message

from ..media import DOWNLOAD_MEDIA
from . import selectors

UNKNOWN_CONTACT = (
    "No contact has this source_id on this inbox: create them first (POST /api/v1/channel/contacts)."
)


def channel_contact_identify(
    *, inbox: Inbox, source_id: str, name: str = "", email: str = "", phone: str = ""
) -> tuple[ContactIdentity, bool]:
    """The contact this inbox knows as `source_id`, created on first sight, with the details given
    (by contact_update_details's rules: an empty value changes nothing, and a verified user's
    details are only filled where blank). Returns the identity and whether it is new. Details are
    validated by the caller; the two writes commit together."""
    known = selectors.identity_on_inbox(inbox=inbox, source_id=source_id) is not None
    with transaction.atomic():
        contact = services.contact_identify(inbox=inbox, source_id=source_id)
        services.contact_update_details(contact=contact, name=name, email=email, phone=phone)
    return selectors.identity_on_inbox(inbox=inbox, source_id=source_id), not known


def channel_message_receive(
    *,
    inbox: Inbox,
    source_id: str,
    message_id: str,
    body: str = "",
    conversation_id: int | None = None,
    attachments: Sequence[dict] = (),
) -> tuple[Message, bool]:
    """Store a message the business's customer wrote, by the business's own `message_id`.

    Returns the message and whether it is new: the same `message_id` again answers the stored
    message and stores nothing (message_receive's unique constraint settles two racing sends: one
    is new, the others are answered as repeats). An id already used in this inbox by someone else (an
    agent's reply, another customer) is refused with a ValidationError. An unknown `source_id`,
    or a conversation that is not this customer's on this inbox, is ObjectDoesNotExist."""
    identity = selectors.identity_on_inbox(inbox=inbox, source_id=source_id)
    if identity is None:
        raise ContactIdentity.DoesNotExist(UNKNOWN_CONTACT)
    stored = core_selectors.message_sent_by_contact(
        inbox_id=inbox.pk, contact_id=identity.contact_id, client_message_id=message_id
    )
    if stored is not None:
        return _customer_message(stored), False
    message, created = services.message_receive_once(
        inbox=inbox,
        contact=identity.contact,
        body=body,
        conversation_id=conversation_id,
        client_message_id=message_id,
        attachments=[
            services.AttachmentInput(
                mime_type=attachment["mime_type"],
                file_name=attachment["file_name"],
                remote_url=attachment["url"],
            )
            for attachment in attachments
        ],
    )
    if attachments:  # fetched by a worker, after commit (STYLE.md: slow work goes to a task)
        pending = Attachment.objects.filter(message=message, file="").values_list("pk", flat=True)
        for attachment_id in pending:
            jobs.run_after_commit(DOWNLOAD_MEDIA, attachment_id)
    return _customer_message(message), created


def _customer_message(message: Message) -> Message:
    """An id the business reused for an agent's reply in the same conversation is not a replay."""
    if message.sender_kind != Message.SenderKind.CONTACT:
        raise ValidationError("That message_id is already in use in this inbox; send with a new one.")
    return message
