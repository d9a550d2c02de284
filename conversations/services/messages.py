"""Messages in: from a contact on any channel. Messages out: an agent's reply or private note."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events, jobs, registry
from ..event_catalogue import EventType
from ..models import Contact, Conversation, Inbox, LiveSession, Message, OutboundDelivery, ReadMarker
from .appending import (
    AttachmentInput,
    append_message,
    files_removed_on_failure,
    publish_message_created,
    publish_status_changed,
    remember_attachments,
)
from .bot import bot_takes_or_routes, release_from_bot
from .contacts import contact_touch_last_seen, last_seen_due
from .content import check_channel_allows, validate_content
from .conversations import conversation_assign
from .locks import lock_contact, lock_conversation
from .merging import surviving_conversation_id
from .receiving import append_customer_message
from .sessions import (
    session_note_agent_reply,
    session_note_customer_message,
    stretch_note_agent_reply,
    stretch_note_customer_message,
)

PRESENT_WITHIN = timedelta(minutes=2)  # a customer seen this recently is there (clients ping every 25 s)


def message_receive(**given) -> Message:
    """message_receive_once, for callers that need not know whether the message was new."""
    return message_receive_once(**given)[0]


def message_receive_once(
    *,
    inbox: Inbox,
    contact: Contact,
    body: str = "",
    content_type: str = Message.ContentType.TEXT,
    conversation_id: int | None = None,
    likely_conversation_id: int | None = None,
    client_message_id: str | None = None,
    provider_message_id: str | None = None,
    attachments: Sequence[AttachmentInput] = (),
    received_at: datetime | None = None,
) -> tuple[Message, bool]:
    """Store a message the contact wrote, on conversation `conversation_id` or on the one the
    inbox's reopen policy picks, and announce it after commit. A conversation of another contact
    or inbox is refused as not found (Conversation.DoesNotExist): callers need not look it up first.
    Files of `attachments` are stored only with a message that commits: a replay or a failure
    leaves none behind. Without a `conversation_id`, a `likely_conversation_id` (the open one the
    policy would pick, read before: contact_identify_for_message) is tried with the one statement,
    and where it does not apply the policy picks as if none were given.

    Idempotent: a `client_message_id` or `provider_message_id` already stored on this inbox returns
    that message and changes nothing; the second value says whether the message is new. The
    database's unique constraints decide, with no lookup first (replays are rare, and one only
    rolls its own transaction back), so of two racing sends exactly one is new. A resolved, snoozed or
    pending conversation opens again; the customer is waiting from now on. Except an answer to what
    was asked on resolve (a satisfaction survey: registry.reply_taker): stored, announced, and
    handed to its taker, while the conversation stays resolved.
    """
    validate_content(body, attachments)
    client_message_id, provider_message_id = client_message_id or None, provider_message_id or None
    message_fields = {
        "sender_kind": Message.SenderKind.CONTACT,
        "content_type": content_type,
        "body": body,
        "client_message_id": client_message_id,
        "provider_message_id": provider_message_id,
        "delivery_status": Message.DeliveryStatus.DELIVERED,
    }
    try:
        with files_removed_on_failure() as written, transaction.atomic():
            seen_at = timezone.now()
            touches_contact = last_seen_due(contact, seen_at)
            common_id = conversation_id if conversation_id is not None else likely_conversation_id
            if common_id is not None and not attachments:
                if touches_contact:
                    # Before the statement locks the conversation, as the lock order asks
                    # (locks.py): a customer writing every few minutes (an SMS, a webhook) has a
                    # last seen due on every message and stays on the one-statement path.
                    contact_touch_last_seen(contact, seen_at)
                # The common message: one statement (receiving.py), or nothing written if not.
                stored = _receive_common(inbox, contact, common_id, seen_at, received_at, message_fields)
                if stored is not None:
                    return stored, True
            if conversation_id is None or touches_contact:
                # First, as the lock order says (locks.py): this message will touch the contact's
                # last seen after locking its conversation. It also serialises "which
                # conversation?" for two first messages at once.
                lock_contact(contact.pk)
            if conversation_id is None:
                conversation_id = _conversation_for_incoming(inbox, contact, body, attachments).pk
            else:  # a client, or a mail's thread, may still name a conversation merged away
                conversation_id = surviving_conversation_id(conversation_id)
            target = lock_conversation(conversation_id)
            if target.contact_id != contact.pk or target.inbox_id != inbox.pk:
                raise Conversation.DoesNotExist("That conversation belongs to another contact or inbox.")
            now = timezone.now()  # once locked: messages are timed in the order of their seq
            previous_status, resolved_at = target.status, target.resolved_at
            already_waiting = previous_status == Conversation.Status.OPEN and target.waiting_since is not None
            taker = _reply_taker(target, body, attachments)  # an answer to what was asked on resolve
            if taker is None and inbox.mode == Inbox.Mode.LIVE:  # before the message: "chat started" first
                session_note_customer_message(target, now)
            elif taker is None:
                stretch_note_customer_message(target, now)
            message = append_message(
                target,
                also_save=_open_for_customer(target, now) if taker is None else (),
                at=received_at or now,
                attachments=attachments,
                written_files=written,
                **message_fields,
            )
            contact_touch_last_seen(contact, seen_at)  # writes only if it was due (so, locked)
            if taker is not None:  # it stays resolved: nobody waits, nothing routes, no bot wakes
                taker(message)
                return message, True
            if previous_status != target.status:
                # After the append, so the event carries the seq of the message that reopened it.
                publish_status_changed(target, previous_status)
            if previous_status == Conversation.Status.RESOLVED:
                _keep_or_release_assignee(target, resolved_at)
            is_new = message.seq == 1 or previous_status == Conversation.Status.RESOLVED
            changed = bot_takes_or_routes(target, is_new=is_new, starts_waiting=is_new or not already_waiting)
            if changed:
                target.save(update_fields=changed)
            return message, True
    except IntegrityError:
        replay = _stored_message(inbox, client_message_id, provider_message_id)
        if replay is None:
            raise
        return _own_replay(replay, contact_id=contact.pk), False


def _receive_common(
    inbox: Inbox,
    contact: Contact,
    conversation_id: int,
    now: datetime,
    received_at: datetime | None,
    message_fields: dict,
) -> Message | None:
    """The common message (receiving.py) stored and announced; None where it is not one."""
    message = Message(**message_fields)
    stored = append_customer_message(
        inbox=inbox,
        contact_id=contact.pk,
        conversation_id=conversation_id,
        now=now,
        received_at=received_at,
        message=message,
    )
    if stored is None:
        return None
    conversation, starts_waiting = stored
    remember_attachments(message, [])
    publish_message_created(conversation, message)
    # Its first message (an agent or an app started it) is where the bot may take it over.
    changed = bot_takes_or_routes(conversation, is_new=message.seq == 1, starts_waiting=starts_waiting)
    if changed:
        conversation.save(update_fields=changed)
    return message


def message_post_reply(
    *,
    conversation: Conversation,
    agent,
    body: str,
    is_private: bool = False,
    content_type: str = Message.ContentType.TEXT,
    client_message_id: str | None = None,
    attachments: Sequence[AttachmentInput] = (),
    template: dict | None = None,
) -> Message:
    """Store an agent's reply (or, with `is_private`, a note other agents see and the customer never
    does) and announce it after commit.

    A public reply on a provider channel is stored `pending` with its outbox row in the same
    transaction; a worker delivers it once the transaction has committed (DESIGN.md invariant 5).
    Idempotent by `client_message_id`, like message_receive.
    """
    validate_content(body, attachments)
    if not is_private:
        check_channel_allows(conversation, body, attachments, template=template is not None)
    client_message_id = client_message_id or None
    try:
        with files_removed_on_failure() as written, transaction.atomic():
            locked = lock_conversation(conversation.pk)
            if locked.merged_into_id is not None:
                raise ValidationError(
                    _("This conversation was merged into #%(id)s: reply there.")
                    % {"id": locked.merged_into_id}
                )
            needs_delivery = not is_private and registry.needs_provider_delivery(
                conversation.inbox.channel_type
            )
            message = append_message(
                locked,
                sender_kind=Message.SenderKind.AGENT,
                sender_agent=agent,
                is_private=is_private,
                content_type=content_type,
                body=body,
                client_message_id=client_message_id,
                template=template if not is_private else None,
                delivery_status=Message.DeliveryStatus.PENDING
                if needs_delivery
                else Message.DeliveryStatus.SENT,
                attachments=attachments,
                written_files=written,
            )
            if not is_private:
                released = release_from_bot(locked)
                if released:
                    locked.save(update_fields=released)
                customer_here = _record_reply(locked, message.created_at)
                if conversation.inbox.mode == Inbox.Mode.LIVE:
                    session_note_agent_reply(locked, message.created_at)
                else:
                    stretch_note_agent_reply(
                        locked, agent.pk, message.created_at, customer_here=customer_here
                    )
                if not needs_delivery:  # the widget's or an app's customer: email them if they are away
                    _notify_later(locked.pk)
            ReadMarker.objects.update_or_create(
                conversation=locked, agent=agent, defaults={"last_read_seq": message.seq}
            )
            if needs_delivery:
                OutboundDelivery.objects.create(message=message, next_attempt_at=message.created_at)
                jobs.run_after_commit(jobs.DELIVER_MESSAGE, message.pk)
            conversation.refresh_from_db()
            return message
    except IntegrityError:
        replay = _stored_message(conversation.inbox, client_message_id, None)
        if replay is None:
            raise
        return _own_replay(replay, conversation_id=conversation.pk)


def _keep_or_release_assignee(conversation: Conversation, resolved_at: datetime | None) -> None:
    """A resolved conversation reopened by its customer stays with its agent while that is
    sticky (registry.keeps_assignee); otherwise it is released to routing."""
    if conversation.assignee_id is None or registry.keeps_assignee(
        inbox_id=conversation.inbox_id, agent_id=conversation.assignee_id, resolved_at=resolved_at
    ):
        return
    conversation_assign(conversation=conversation, assignee=None, actor=None)
    conversation.assignee_id = None


def _notify_later(conversation_id: int) -> None:
    jobs.run_after_commit(
        jobs.NOTIFY_CONTACT_OF_REPLIES,
        conversation_id,
        countdown=settings.PARLEY_REPLY_NOTICE_DELAY.total_seconds(),
    )


def _own_replay(
    replay: Message, *, contact_id: int | None = None, conversation_id: int | None = None
) -> Message:
    """A replay returns the stored message only to whoever stored it: an id reused by someone
    else (a guessable id, a buggy client) is refused, never answered with another's message."""
    if contact_id is not None and replay.conversation.contact_id != contact_id:
        raise ValidationError("That message id is already in use; send with a new one.")
    if conversation_id is not None and replay.conversation_id != conversation_id:
        raise ValidationError("That message id is already in use; send with a new one.")
    return replay


def _stored_message(
    inbox: Inbox, client_message_id: str | None, provider_message_id: str | None
) -> Message | None:
    ids = Q()
    if client_message_id:
        ids |= Q(client_message_id=client_message_id)
    if provider_message_id:
        ids |= Q(provider_message_id=provider_message_id)
    if not ids:
        return None
    return Message.objects.filter(ids, inbox=inbox).select_related("conversation").first()


def _reply_taker(
    conversation: Conversation, body: str, attachments: Sequence[AttachmentInput]
) -> registry.ReplyTaker | None:
    """Who takes this text to a resolved conversation instead of it reopening (registry)."""
    if conversation.status != Conversation.Status.RESOLVED or attachments or not body.strip():
        return None
    return registry.reply_taker(conversation, body)


def _conversation_for_incoming(
    inbox: Inbox, contact: Contact, body: str, attachments: Sequence[AttachmentInput]
) -> Conversation:
    latest = (
        Conversation.objects.filter(inbox=inbox, contact=contact, merged_into__isnull=True)
        .order_by("-last_activity_at", "-pk")
        .first()
    )
    if latest is not None and (
        latest.status != Conversation.Status.RESOLVED
        or inbox.reopen_policy == Inbox.ReopenPolicy.REOPEN_LAST
        or _reply_taker(latest, body, attachments) is not None  # it answers what that one asked
    ):
        return latest
    sticky = (
        latest.assignee_id
        if latest is not None
        and latest.assignee_id is not None
        and registry.keeps_assignee(
            inbox_id=inbox.pk, agent_id=latest.assignee_id, resolved_at=latest.resolved_at
        )
        else None
    )
    conversation = Conversation.objects.create(
        inbox=inbox,
        contact=contact,
        status=Conversation.Status.OPEN,
        assignee_id=sticky,  # the agent who had the last one, while they can take it
        last_activity_at=timezone.now(),
    )
    events.publish_on_commit(
        events.conversation_event(EventType.CONVERSATION_CREATED, conversation),
        groups=events.conversation_groups(conversation),
    )
    return conversation


def _open_for_customer(conversation: Conversation, now: datetime) -> list[str]:
    """The customer wrote: whatever the status, the conversation is open and they are waiting.
    Changes the (locked) conversation in memory; returns the fields for the caller to save."""
    conversation.waiting_since = conversation.waiting_since or now
    if conversation.status == Conversation.Status.OPEN:
        return ["waiting_since"]
    reopened = conversation.status == Conversation.Status.RESOLVED
    conversation.reopen_count += int(reopened)
    conversation.status = Conversation.Status.OPEN
    conversation.snoozed_until = None
    conversation.resolved_at = None
    return ["waiting_since", "status", "snoozed_until", "resolved_at", "reopen_count"]


def _record_reply(conversation: Conversation, at: datetime) -> bool:
    """A public reply: the customer no longer waits, and the reply counts as synchronous when
    they were there (customer_was_there), asynchronous otherwise. Returns whether they were."""
    conversation.waiting_since = None
    conversation.first_reply_at = conversation.first_reply_at or at
    here = customer_was_there(conversation, at)
    if here:
        conversation.sync_replies += 1
    else:
        conversation.async_replies += 1
    conversation.save(update_fields=["waiting_since", "first_reply_at", "sync_replies", "async_replies"])
    return here


def customer_was_there(conversation: Conversation, at: datetime) -> bool:
    """In a live chat they had not left; elsewhere they were seen (connected, or wrote) within
    PRESENT_WITHIN. One query."""
    if Inbox.objects.filter(pk=conversation.inbox_id, mode=Inbox.Mode.LIVE).exists():
        return LiveSession.objects.filter(
            conversation=conversation, closed_at__isnull=True, customer_left_at__isnull=True
        ).exists()
    return Contact.objects.filter(pk=conversation.contact_id, last_seen_at__gte=at - PRESENT_WITHIN).exists()
