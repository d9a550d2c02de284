"""Transcripts and "you have a reply": what a customer is sent or downloads of their conversation.

The emails are sent by Celery tasks (conversations.tasks) and read committed state only, so a task
run twice sends at most one extra copy of the same text, and never a private note. The downloaded
transcript (transcript_document) is one HTML document, the same for the desk and the customer.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from ..models import Conversation, Inbox, LiveSession, Message
from ..payloads import SENDER_RELATED, sender_payload
from .locks import lock_conversation

TRANSCRIPT_LIMIT = 1000
AGENT_KINDS = (Message.SenderKind.AGENT, Message.SenderKind.BOT)
# The document loads nothing and runs nothing: it is the customer's words, opened from a disk.
TRANSCRIPT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@dataclass(frozen=True)
class TranscriptDocument:
    html: str
    file_name: str
    content_security_policy: str = TRANSCRIPT_POLICY


def transcript_document(*, conversation: Conversation, for_customer: bool) -> TranscriptDocument:
    """The whole conversation as one HTML document (templates/transcripts/conversation.html):
    every public message in order, never a private note nor an agent-only line, files linked.
    For the customer their own lines say "You"; for an agent they carry the contact's name.
    Serve it as a download with `content_security_policy`."""
    customer = str(conversation.contact)
    lines = transcript_lines(conversation, customer_as="You" if for_customer else customer, limit=None)
    if for_customer:
        title = f"Your conversation with {conversation.inbox.name}"
    else:
        title = f"Conversation #{conversation.pk} with {customer}"
    html = render_to_string(
        "transcripts/conversation.html",
        {
            "conversation": conversation,
            "title": title,
            "for_customer": for_customer,
            "lines": lines,
            "made_at": timezone.now(),
        },
    )
    return TranscriptDocument(html=html, file_name=f"conversation-{conversation.pk}.html")


def transcript_send(*, conversation_id: int, to: str) -> int:
    """Email the conversation's transcript to `to`: on a live inbox its latest live session (the
    chat that just ended), on a messaging inbox the whole conversation (its latest
    TRANSCRIPT_LIMIT messages); what the customer saw, never a private note. Returns the lines
    sent."""
    conversation = Conversation.objects.select_related("inbox").get(pk=conversation_id)
    since = None
    if conversation.inbox.mode == Inbox.Mode.LIVE:
        session = (
            LiveSession.objects.filter(conversation=conversation, kind=LiveSession.Kind.LIVE)
            .order_by("-opened_at")
            .first()
        )
        since = session.opened_at if session is not None else None
    lines = transcript_lines(conversation, since=since)
    _send(
        to,
        subject=f"Your conversation with {conversation.inbox.name}",
        template="emails/transcript.txt",
        context={"inbox": conversation.inbox, "lines": lines, "since": since},
    )
    return len(lines)


def contact_notify_of_replies(*, conversation_id: int) -> int:
    """Email the customer the replies they have not read and were not told of yet, if they left an
    email address. Returns how many replies the notice held (0: nothing to tell, nothing sent).

    Runs a little after a reply (PARLEY_REPLY_NOTICE_DELAY): a customer still in the chat has read
    it by then. The notified mark moves under the conversation's lock, so two runs never announce
    the same reply twice; a send that fails puts the mark back and raises, for the task to retry.
    """
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        email = conversation.contact.email
        previous_mark = conversation.contact_notified_seq
        seen = max(conversation.contact_last_read_seq, previous_mark)
        replies = list(
            Message.objects.filter(
                conversation=conversation, seq__gt=seen, is_private=False, sender_kind__in=AGENT_KINDS
            )
            .select_related("sender_agent", "email", *SENDER_RELATED)
            .prefetch_related("attachments")
            .order_by("seq")[:50]
        )
        if not email or not replies:
            return 0
        mark = replies[-1].seq
        Conversation.objects.filter(pk=conversation.pk).update(contact_notified_seq=mark)
    try:
        _send(
            email,
            subject=f"New reply from {conversation.inbox.name}",
            template="emails/reply_notice.txt",
            context={"inbox": conversation.inbox, "lines": [_line(message, "You") for message in replies]},
        )
    except Exception:
        Conversation.objects.filter(pk=conversation.pk, contact_notified_seq=mark).update(
            contact_notified_seq=previous_mark
        )
        raise
    return len(replies)


def transcript_lines(
    conversation: Conversation,
    *,
    since: datetime | None = None,
    customer_as: str = "You",
    limit: int | None = TRANSCRIPT_LIMIT,
) -> list[dict]:
    """The conversation as its customer saw it, oldest first: every public message (never a
    private note nor an agent-only line), who wrote it (the customer as `customer_as`), its mail
    subject if it was one, and its files as absolute links. The last `limit` messages, or all."""
    messages = Message.objects.filter(
        Q(created_at__gte=since) if since else Q(), conversation=conversation, is_private=False
    )
    ordered = (
        messages.select_related("sender_agent", "email", *SENDER_RELATED)
        .prefetch_related("attachments")
        .order_by(F("seq").desc())[:limit]
    )
    return [_line(message, customer_as) for message in reversed(ordered)]


def _line(message: Message, customer_as: str) -> dict:
    sender = sender_payload(message)
    who = sender.get("name") or {"contact": customer_as, "bot": "Bot"}.get(message.sender_kind, "Us")
    files = [
        {
            "name": attachment.file_name or attachment.mime_type,
            "url": settings.PUBLIC_URL + attachment.file.url if attachment.file else attachment.remote_url,
        }
        for attachment in message.attachments.all()
    ]
    mail = getattr(message, "email", None)  # a missing reverse one-to-one raises AttributeError
    return {
        "at": message.created_at,
        "who": who,
        "body": message.body,
        "files": files,
        "subject": mail.subject if mail is not None else "",
    }


def _send(to: str, *, subject: str, template: str, context: dict) -> None:
    EmailMessage(subject=subject, body=render_to_string(template, context), to=[to]).send()
