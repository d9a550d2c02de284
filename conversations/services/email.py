"""Email's part of the core: what a mail carries beyond its text (MessageEmail), kept beside its
message in the same transaction, and the reads threading and replying need. Reading mail,
writing it and talking to mail servers are the channel's (channels_in/email)."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from ..models import Conversation, Inbox, Message, MessageEmail
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
            raise ValidationError(f"Cc “{address}” is not an email address.") from None
    subject = " ".join(subject.split())[:998]
    with transaction.atomic():
        message = message_post_reply(conversation=conversation, agent=agent, body=body, **reply)
        if not message.is_private:
            email_details_record(message=message, details=EmailDetails(subject=subject, cc=copies))
        return message
