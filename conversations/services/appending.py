"""The primitives every message-writing service shares: append to a conversation (locked first,
locks.lock_conversation), announce what changed.

Callers own the transaction; these functions assume they run inside one.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models import F, Value
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Greatest
from django.utils import timezone

from .. import events, jobs, registry
from ..event_catalogue import EventType
from ..models import Attachment, Conversation, Message, OutboundDelivery
from ..payloads import message_payload

MAX_ACTIONS = 10


@dataclass(frozen=True)
class AttachmentInput:
    """A file that arrived with a message: bytes we hold, or a provider URL to fetch later."""

    mime_type: str
    file_name: str = ""
    content: bytes | None = None
    remote_url: str = ""


def append_message(
    conversation: Conversation,
    *,
    at: datetime | None = None,
    also_save: Iterable[str] = (),
    attachments: Sequence[AttachmentInput] = (),
    written_files: list[FieldFile] | None = None,
    **fields: Any,
) -> Message:
    """Store the next message of `conversation` (caller holds its lock) with its attachments, and
    announce it on commit.

    Bumps `last_seq` and `last_activity_at` in the same transaction as the insert, so a rollback
    takes both back and leaves no gap. `also_save` names conversation fields the caller changed,
    written in the same UPDATE. The event carries the message as agents see it, rendered here from
    what was just stored, so no socket reads the database to deliver it; the returned message
    renders again without a query. Files it stores are added to `written_files` (see
    files_removed_on_failure).
    """
    at = at or timezone.now()
    conversation.last_seq += 1
    conversation.last_activity_at = max(conversation.last_activity_at, at)
    conversation.save(update_fields=["last_seq", "last_activity_at", *also_save])
    message = Message.objects.create(
        conversation=conversation,
        inbox_id=conversation.inbox_id,
        seq=conversation.last_seq,
        created_at=at,
        **fields,
    )
    remember_attachments(message, [_store_attachment(message, item, written_files) for item in attachments])
    publish_message_created(conversation, message)
    return message


def append_outgoing(
    conversation: Conversation,
    *,
    sender_kind: str,
    body: str,
    actions: Sequence[dict] = (),
    client_message_id: str | None = None,
    template: dict | None = None,
) -> Message:
    """Store a public message to the customer that no person wrote (the bot's, or Parley's own:
    `sender_kind` bot or system; caller holds the lock and has asked capabilities.send_refusal).
    Delivered like an agent's reply: on a provider channel it is stored `pending` with its outbox
    row and sent after commit; on a push channel (the widget) it is `sent` as stored."""
    needs_delivery = registry.needs_provider_delivery(conversation.inbox.channel_type)
    message = append_message(
        conversation,
        sender_kind=sender_kind,
        content_type=Message.ContentType.TEXT,
        body=body,
        actions=list(actions),
        client_message_id=client_message_id,
        template=template,
        delivery_status=Message.DeliveryStatus.PENDING if needs_delivery else Message.DeliveryStatus.SENT,
    )
    if needs_delivery:
        OutboundDelivery.objects.create(message=message, next_attempt_at=message.created_at)
        jobs.run_after_commit(jobs.DELIVER_MESSAGE, message.pk)
    return message


def already_stored(conversation: Conversation, client_message_id: str | None) -> Message | None:
    """The message a retried automatic send already stored under `client_message_id`, if any (the
    caller holds the conversation's lock)."""
    if not client_message_id:
        return None
    return Message.objects.filter(inbox_id=conversation.inbox_id, client_message_id=client_message_id).first()


def check_actions(actions: Sequence[dict]) -> None:
    """Offered replies are at most MAX_ACTIONS {"id": text, "title": text}; refused otherwise."""
    if len(actions) > MAX_ACTIONS:
        raise ValidationError(f"A message offers at most {MAX_ACTIONS} replies.")
    for action in actions:
        if set(action) != {"id", "title"} or not all(isinstance(value, str) for value in action.values()):
            raise ValidationError('Each offered reply is {"id": text, "title": text}.')


def publish_message_created(conversation: Conversation, message: Message) -> None:
    """Announce a stored message after commit, rendered as agents see it (its attachments already
    remembered on it, so rendering costs no query); private ones to agents only."""
    events.publish_on_commit(
        message_created_event(conversation, message),
        groups=events.conversation_groups(conversation, agents_only=message.is_private),
    )


def message_created_event(conversation: Conversation, message: Message) -> events.Event:
    """The message.created event of a stored message, rendered as agents see it."""
    return events.conversation_event(
        EventType.MESSAGE_CREATED,
        conversation,
        message_id=message.pk,
        message_seq=message.seq,
        sender_kind=message.sender_kind,
        is_private=message.is_private,
        message=message_payload(message, for_agents=True),
    )


@contextmanager
def files_removed_on_failure() -> Iterator[list[FieldFile]]:
    """Collects the files append_message stores inside the block and deletes them if the block
    raises: a rollback takes the rows back but not the files (a replayed client_message_id, a
    failed commit), and a file no row points at would stay in storage for ever."""
    written: list[FieldFile] = []
    try:
        yield written
    except BaseException:
        for file in written:
            file.storage.delete(file.name)
        raise


def _store_attachment(
    message: Message, item: AttachmentInput, written_files: list[FieldFile] | None
) -> Attachment:
    attachment = Attachment(
        message=message,
        mime_type=item.mime_type,
        file_name=item.file_name,
        remote_url=item.remote_url,
        byte_size=len(item.content) if item.content is not None else 0,
    )
    if item.content is not None:
        attachment.file.save(item.file_name or "upload", ContentFile(item.content), save=False)
        if written_files is not None:
            written_files.append(attachment.file)
    attachment.save()
    return attachment


def remember_attachments(message: Message, attachments: list[Attachment]) -> None:
    """What was stored with a new message is all it has: fill `message.attachments` the way
    prefetch_related does, so rendering it costs no query."""
    stored = message.attachments.all()
    stored._result_cache = attachments
    stored._prefetch_done = True
    message._prefetched_objects_cache = {"attachments": stored}


def record_activity(conversation: Conversation, text: str) -> Message:
    """An agent-only line in the history ("Ana resolved the conversation"); caller holds the lock."""
    return append_message(conversation, **activity_line(text))


def publish_status_changed(conversation: Conversation, previous_status: str) -> None:
    events.publish_on_commit(
        status_changed_event(conversation, previous_status), groups=events.conversation_groups(conversation)
    )


def status_changed_event(conversation: Conversation, previous_status: str) -> events.Event:
    return events.conversation_event(
        EventType.CONVERSATION_STATUS_CHANGED,
        conversation,
        status=conversation.status,
        previous_status=previous_status,
        snoozed_until=conversation.snoozed_until.isoformat() if conversation.snoozed_until else None,
    )


def publish_assigned(
    conversation: Conversation,
    assignee_id: int | None,
    assignee_name: str | None,
    *,
    actor_id: int | None = None,
) -> None:
    events.publish_on_commit(
        assigned_event(conversation, assignee_id, assignee_name, actor_id=actor_id),
        groups=events.conversation_groups(conversation),
    )


def assigned_event(
    conversation: Conversation,
    assignee_id: int | None,
    assignee_name: str | None,
    *,
    actor_id: int | None = None,
) -> events.Event:
    """`actor_id`: the agent who assigned it (None: Parley itself, routing), so an agent's desk
    notifies them only of what someone else gave them."""
    return events.conversation_event(
        EventType.CONVERSATION_ASSIGNED,
        conversation,
        assignee_id=assignee_id,
        assignee_name=assignee_name,
        team_id=conversation.team_id,
        actor_id=actor_id,
    )


def actor_name(actor: AbstractBaseUser | None) -> str:
    """How an activity line names who did something: the agent's display name, or Parley itself."""
    if actor is None:
        return "Parley"
    profile = getattr(actor, "agent_profile", None)
    return getattr(profile, "name", "") or actor.get_full_name() or actor.get_username()


def append_in_bulk(
    lines: dict[int, dict[str, Any]], *, at: datetime, announce: bool = True, **conversation_fields: Any
) -> dict[int, tuple[Conversation, Message]]:
    """Append one message to each of many conversations (locked by the caller) in a fixed number
    of statements: `lines` maps a conversation id to the new message's fields. Bumps each
    conversation's seq (setting `conversation_fields` in the same statement: a status change the
    message records), inserts the messages, and announces them after commit (unless `announce` is
    false: the caller announces them in an event of its own). Returns, per conversation id, the
    conversation as it now is and its new message."""
    if not lines:
        return {}
    Conversation.objects.filter(pk__in=lines).update(
        last_seq=F("last_seq") + 1,
        last_activity_at=Greatest(F("last_activity_at"), Value(at)),
        **conversation_fields,
    )
    conversations = {
        conversation.pk: conversation for conversation in Conversation.objects.filter(pk__in=lines)
    }
    messages = Message.objects.bulk_create(
        Message(
            conversation_id=conversation_id,
            inbox_id=conversations[conversation_id].inbox_id,
            seq=conversations[conversation_id].last_seq,
            created_at=at,
            **fields,
        )
        for conversation_id, fields in lines.items()
    )
    appended = {}
    for message in messages:
        conversation = conversations[message.conversation_id]
        remember_attachments(message, [])
        if announce:
            publish_message_created(conversation, message)
        appended[conversation.pk] = (conversation, message)
    return appended


def activity_line(text: str) -> dict[str, Any]:
    """The fields of an agent-only activity line, for append_in_bulk."""
    return {
        "sender_kind": Message.SenderKind.SYSTEM,
        "content_type": Message.ContentType.SYSTEM,
        "body": text,
        "is_private": True,
    }
