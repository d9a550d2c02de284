"""Email's part of the core: what a mail carries beyond its text (MessageEmail), kept beside its
message in the same transaction, and the reads threading and replying need. Reading mail,
writing it and talking to mail servers are the channel's (channels_in/email)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import Conversation, Inbox, Message, MessageEmail
from .appending import AttachmentInput, append_message, files_removed_on_failure, record_activity
from .locks import lock_conversation
from .messages import message_post_reply

Sender = Message.SenderKind


@dataclass(frozen=True)
class EmailDetails:
    subject: str = ""
    from_address: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # Message-IDs, oldest first
    html: str = ""
    quoted: str = ""
    automatic: str = ""
    notes: tuple[str, ...] = ()
    inline_images: tuple[tuple[str, int], ...] = ()  # (Content-ID, place among the attachments)


def email_details_record(*, message: Message, details: EmailDetails) -> MessageEmail:
    """Keep `details` beside `message`, a message just stored (inside the caller's transaction)."""
    return MessageEmail.objects.create(
        message=message,
        subject=details.subject[:998],
        from_address=details.from_address[:320],
        to=list(details.to),
        cc=list(details.cc),
        references=" ".join(details.references),
        html=details.html,
        quoted=details.quoted,
        automatic=details.automatic[:200],
        notes=list(details.notes),
        inline_images=dict(details.inline_images),
    )


def email_thread_conversation_id(*, inbox: Inbox, message_ids: Sequence[str]) -> int | None:
    """The conversation of the newest message of `inbox` whose Message-ID is one of
    `message_ids` (what a reply's In-Reply-To and References name), or None."""
    if not message_ids:
        return None
    return (
        Message.objects.filter(inbox=inbox, provider_message_id__in=list(message_ids))
        .order_by("-pk")
        .values_list("conversation_id", flat=True)
        .first()
    )


@dataclass(frozen=True)
class ReplyContext:
    """What a mail answering the customer continues: the subject, the mail it answers, the chain
    of References, and the others the customer put in copy."""

    subject: str
    in_reply_to: str
    references: tuple[str, ...]
    cc: tuple[str, ...]


def email_reply_context(*, conversation_id: int) -> ReplyContext:
    """From the customer's latest mail in the conversation (two queries at most)."""
    latest = (
        MessageEmail.objects.filter(
            message__conversation_id=conversation_id, message__sender_kind=Sender.CONTACT
        )
        .select_related("message")
        .order_by("-message__seq")
        .first()
    )
    if latest is None:
        subject = (
            MessageEmail.objects.filter(message__conversation_id=conversation_id)
            .exclude(subject="")
            .order_by("-message__seq")
            .values_list("subject", flat=True)
            .first()
        )
        return ReplyContext(subject=subject or "", in_reply_to="", references=(), cc=())
    answered = latest.message.provider_message_id or ""
    references = tuple(latest.references.split()) + ((answered,) if answered else ())
    return ReplyContext(
        subject=latest.subject, in_reply_to=answered, references=references, cc=tuple(latest.cc)
    )


def reply_subject(subject: str, *, inbox_name: str, conversation_id: int) -> str:
    """The subject of a mail answering one with `subject`: kept, with "Re:" once."""
    if not subject:
        return f"[{inbox_name}] Your conversation #{conversation_id}"
    return subject if subject.lower().startswith(("re:", "aw:", "sv:")) else f"Re: {subject}"


def message_post_email_reply(
    *, conversation: Conversation, agent, body: str, subject: str, cc: str, **reply
) -> Message:
    """An agent's reply on an email inbox with the subject and copies the composer shows (the
    thread's, unless the agent changed them): stored with the reply, in its transaction, so the
    mail the outbox writes carries them. `cc`: addresses separated by commas or spaces; one that
    is not an address refuses the reply, saying which."""
    copies = tuple(
        dict.fromkeys(
            address.strip().lower()
            for address in cc.replace(";", ",").replace(" ", ",").split(",")
            if address.strip()
        )
    )
    for address in copies:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                _("Cc “%(address)s” is not an email address.") % {"address": address}
            ) from None
    subject = " ".join(subject.split())[:998]
    with transaction.atomic():
        message = message_post_reply(conversation=conversation, agent=agent, body=body, **reply)
        if not message.is_private:
            email_details_record(message=message, details=EmailDetails(subject=subject, cc=copies))
        return message


def email_receive_held(
    *,
    conversation_id: int,
    body: str,
    provider_message_id: str,
    attachments: Sequence[AttachmentInput] = (),
    received_at: datetime | None = None,
    details: EmailDetails | None = None,
    note: str = "",
) -> tuple[Message, bool]:
    """A customer's mail held back (a storm from one sender: channels_in/email/storms.py): stored
    as the customer's message in `conversation_id` (its contact's, on its inbox: the caller
    checked) and announced, with its `details`, and the agent-only `note` after it, in one
    transaction, while the conversation stays as it is: nothing reopens, nobody starts waiting,
    nothing routes, no bot takes a turn. Idempotent by `provider_message_id`, like
    message_receive_once; the second value says whether the message is new."""
    try:
        with files_removed_on_failure() as written, transaction.atomic():
            conversation = lock_conversation(conversation_id)
            message = append_message(
                conversation,
                at=received_at,
                attachments=attachments,
                written_files=written,
                sender_kind=Sender.CONTACT,
                body=body,
                provider_message_id=provider_message_id,
                delivery_status=Message.DeliveryStatus.DELIVERED,
            )
            if details is not None:
                email_details_record(message=message, details=details)
            if note:
                record_activity(conversation, note)
            return message, True
    except IntegrityError:
        inbox_id = Conversation.objects.filter(pk=conversation_id).values_list("inbox_id", flat=True)
        stored = Message.objects.filter(
            inbox_id__in=inbox_id, provider_message_id=provider_message_id
        ).first()
        if stored is None:
            raise
        return stored, False
