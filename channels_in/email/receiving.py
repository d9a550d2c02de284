"""A mail that arrived at an email inbox, stored where a person expects it.

- A bounce marks the mail it reports failed, with the server's reason; it opens nothing.
- A reply lands in its conversation by its headers first (In-Reply-To, then References: the
  Message-IDs of Parley's own mails and of the customer's earlier ones), by the reply address's
  signed tag second, never by subject alone. That conversation opens again if it was resolved.
- A new mail from an address goes to that contact's conversation by the inbox's reopen policy.
- A mail a machine sent (an auto-reply, a list, a mailer daemon) never opens a conversation nor
  draws an answer: it becomes an agent-only line in the conversation it answers, or, answering
  none, is kept only as its receipt.
- A storm from one sender (storms.py): past the limit, a person's mail is stored in their
  conversation but opens nothing and draws no answer, a machine's is kept only as its receipt,
  and agents are told once a window by an agent-only line. No loop of auto-replies outlives it.

The mail's Message-ID is its provider id: the same mail stored twice is stored once.
"""

import logging
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction

from conversations import services
from conversations.boundary import replace_unstorable
from conversations.models import Conversation, Inbox, Message

from ..adapters.base import InboundMail
from .addresses import conversation_in_addresses, is_inbox_address
from .reading import ReadMail, mail_id, read_mail
from .storms import SenderPace, sender_mail_count, storm_note

NO_TEXT = "(This mail has no text.)"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailOutcome:
    message: Message | None  # the customer's message stored (or already stored), if any
    note: str  # what was done, in words, for the logs


def stored_mail_receive(inbox: Inbox, mail: InboundMail) -> MailOutcome:
    """A receipt's mail (stored by inbound.py), read back from storage and received."""
    with default_storage.open(mail.path, "rb") as stored:
        outcome = mail_receive(inbox=inbox, raw=stored.read())
    logger.info("mail %s on inbox %s: %s", mail.mail_id, inbox.pk, outcome.note)
    return outcome


def mail_receive(*, inbox: Inbox, raw: bytes) -> MailOutcome:
    read = read_mail(raw)
    if read.bounce is not None:
        return _bounced(inbox, read)
    if not read.from_address:
        return MailOutcome(None, "The mail names no sender, so there is nobody to answer; kept as received.")
    provider_message_id = mail_id(raw, read.message_id)
    stored = Message.objects.filter(inbox=inbox, provider_message_id=provider_message_id).first()
    if stored is not None:  # applied again (a replay): counted once, stored once
        return MailOutcome(stored, "Already stored.")
    with transaction.atomic():  # counted with what it stores, or not at all
        pace = sender_mail_count(inbox=inbox, address=read.from_address)
        conversation_id = services.email_thread_conversation_id(
            inbox=inbox, message_ids=read.thread_ids
        ) or conversation_in_addresses(inbox, (*read.to, *read.cc))
        if read.automatic:
            return _automatic(inbox, read, conversation_id, pace)
        contact = services.contact_identify(
            inbox=inbox, source_id=read.from_address, name=_storable(read.from_name), email=read.from_address
        )
        if conversation_id is not None and not _same_contact(conversation_id, contact.pk):
            conversation_id = None  # someone else answering a forwarded thread: their own conversation
        if pace.over:
            held = _held(inbox, read, provider_message_id, contact.pk, conversation_id, pace)
            if held is not None:
                return held
        message, new = services.message_receive_once(
            inbox=inbox,
            contact=contact,
            conversation_id=conversation_id,
            body=_body(read),
            provider_message_id=provider_message_id,
            attachments=_attachments(read),
            received_at=read.sent_at,
        )
        if new:
            services.email_details_record(message=message, details=_details(inbox, read))
    return MailOutcome(message, "Stored." if new else "Already stored.")


def _held(
    inbox: Inbox,
    read: ReadMail,
    provider_message_id: str,
    contact_id: int,
    conversation_id: int | None,
    pace: SenderPace,
) -> MailOutcome | None:
    """A person's mail past the storm limit, stored in the conversation it answers, else the
    sender's latest on this inbox; None where the sender has none yet (then it starts one)."""
    conversation_id = conversation_id or (
        Conversation.objects.filter(inbox=inbox, contact_id=contact_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if conversation_id is None:
        return None
    message, _ = services.email_receive_held(
        conversation_id=conversation_id,
        body=_body(read),
        provider_message_id=provider_message_id,
        attachments=_attachments(read),
        received_at=read.sent_at,
        details=_details(inbox, read),
        note=storm_note(read.from_address, pace) if pace.first_over else "",
    )
    return MailOutcome(
        message, f"Held: mail {pace.mails} from its sender in this window; stored, opens nothing."
    )


def _attachments(read: ReadMail) -> list[services.AttachmentInput]:
    return [
        services.AttachmentInput(content=part.content, mime_type=part.mime_type, file_name=part.file_name)
        for part in read.attachments
    ]


def _bounced(inbox: Inbox, read: ReadMail) -> MailOutcome:
    bounce = read.bounce
    sent = Message.objects.filter(inbox=inbox, provider_message_id=bounce.original_message_id).first()
    if sent is None:
        return MailOutcome(
            None, f"A bounce for a mail Parley did not send ({bounce.original_message_id or 'no id'})."
        )
    if not bounce.permanent:
        return MailOutcome(None, f"A delay notice ({bounce.status}): the mail server is still trying.")
    services.message_update_delivery_status(
        message_id=sent.pk,
        status=Message.DeliveryStatus.FAILED,
        error_code=f"bounce_{bounce.status}",
        error=bounce.reason,
    )
    return MailOutcome(None, f"Bounced: message {sent.pk} marked failed ({bounce.reason}).")


def _automatic(inbox: Inbox, read: ReadMail, conversation_id: int | None, pace: SenderPace) -> MailOutcome:
    if conversation_id is None:
        return MailOutcome(
            None, f"An automatic mail ({read.automatic}) answering no conversation; kept as received."
        )
    if pace.over:  # a storm of auto-replies: one line says so, not one line each
        if pace.first_over:
            services.message_post_activity(
                conversation_id=conversation_id, text=storm_note(read.from_address, pace)
            )
        return MailOutcome(
            None, f"An automatic mail ({read.automatic}) past the sender's limit; kept as received."
        )
    text = f"{read.from_name or read.from_address} answered automatically ({read.automatic}): {read.subject}"
    services.message_post_activity(conversation_id=conversation_id, text=text[:500])
    return MailOutcome(
        None, f"An automatic mail ({read.automatic}): noted in conversation {conversation_id}."
    )


def _same_contact(conversation_id: int, contact_id: int) -> bool:
    return Conversation.objects.filter(pk=conversation_id, contact_id=contact_id).exists()


def _body(read: ReadMail) -> str:
    body = read.text or (NO_TEXT if not read.attachments else "")
    return _storable(body[: services.MAX_BODY_LENGTH])


def _storable(text: str) -> str:
    """`text` with what Postgres cannot store (NUL, lone surrogates) replaced: a mail may carry
    anything, and is stored, not refused."""
    return replace_unstorable(text)[0]


def _details(inbox: Inbox, read: ReadMail) -> services.EmailDetails:
    overflow = read.text[services.MAX_BODY_LENGTH :]
    return services.EmailDetails(
        subject=_storable(read.subject),
        from_address=read.from_address,
        to=read.to,
        # Whom the customer put in copy, kept in copy of the answer: not the customer, not us.
        cc=tuple(
            address
            for address in (*read.to, *read.cc)
            if address != read.from_address and not is_inbox_address(inbox, address)
        ),
        references=read.references,
        html=_storable(read.html),
        quoted=_storable("\n\n".join(part for part in (overflow, read.quoted) if part)),
        automatic=read.automatic,
        notes=read.notes,
        inline_images=tuple(
            (part.content_id, place) for place, part in enumerate(read.attachments) if part.content_id
        ),
    )
