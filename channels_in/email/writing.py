"""An agent's reply (or Parley's own automatic message) written as a mail a person's mail
program threads: Message-ID, In-Reply-To and References continuing the customer's mail, the
subject kept with "Re:", the others the customer put in copy, a reply address that routes the
answer back to the conversation, a text and an HTML part, the files attached.

Parley's automatic messages say so (Auto-Submitted: auto-replied, RFC 3834): a customer's
vacation program must not answer them, nor they it.
"""

from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from django.utils.html import escape, linebreaks

from conversations import services
from conversations.models import Message, MessageEmail

from .addresses import inbox_address, is_inbox_address, reply_address

PERSON = frozenset({Message.SenderKind.AGENT})


def mail_for(message: Message) -> EmailMessage:
    """The mail for outbound `message` (its conversation, inbox and contact loaded)."""
    conversation, inbox = message.conversation, message.conversation.inbox
    address = inbox_address(inbox)
    context = services.email_reply_context(conversation_id=conversation.pk)
    own = MessageEmail.objects.filter(message=message).first()  # the composer's Subject and Cc, if any
    mail = EmailMessage()
    mail["From"] = formataddr((inbox.name, address))
    mail["To"] = formataddr((conversation.contact.name, customer_address(message)))
    cc = [
        other for other in (own.cc if own is not None else context.cc) if not is_inbox_address(inbox, other)
    ]
    if cc:
        mail["Cc"] = ", ".join(cc)
    mail["Reply-To"] = formataddr((inbox.name, reply_address(inbox, conversation.pk)))
    mail["Subject"] = (own.subject if own is not None else "") or services.reply_subject(
        context.subject, inbox_name=inbox.name, conversation_id=conversation.pk
    )
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = message_id_for(message, address)
    if context.in_reply_to:
        mail["In-Reply-To"] = context.in_reply_to
    if context.references:
        mail["References"] = " ".join(context.references[-20:])  # the newest, as mail programs trim it
    if message.sender_kind not in PERSON:
        mail["Auto-Submitted"] = "auto-replied"
    mail["X-Parley-Conversation"] = str(conversation.pk)
    mail.set_content(message.body or "")
    mail.add_alternative(
        f"<!doctype html><html><body>{linebreaks(escape(message.body or ''))}</body></html>", subtype="html"
    )
    for attachment in message.attachments.all():
        if not attachment.file:
            continue
        with attachment.file.open("rb") as stored:
            content = stored.read()
        maintype, _, subtype = (attachment.mime_type or "application/octet-stream").partition("/")
        mail.add_attachment(
            content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.file_name or "file",
        )
    return mail


def message_id_for(message: Message, address: str) -> str:
    """The Message-ID Parley gives `message`, the same on every attempt: a mail server that took
    an attempt whose answer was lost sees a retry as the same mail."""
    domain = address.partition("@")[2] or "parley.invalid"
    return f"<parley.m{message.pk}.c{message.conversation_id}@{domain}>"


def customer_address(message: Message) -> str:
    """Where the customer reads mail: their identity on this inbox, else their contact's email."""
    identity = message.conversation.contact.identities.filter(inbox_id=message.conversation.inbox_id).first()
    return identity.source_id if identity is not None else (message.conversation.contact.email or "")
