"""Retention: per inbox (RetentionPolicy), resolved conversations quiet for longer than the policy's
days are anonymised or deleted, with their attachments' files (docs/privacy.md, "Retention").

Set-based and bounded, like the live-session expiry sweep: one batch of due conversations is
locked as it is read (FOR UPDATE SKIP LOCKED: one a message holds right now is left for the next
run, so the sweep never waits on the hot path), then emptied or deleted with a fixed number of
statements for the whole batch, in one short transaction. A message that arrives first reopens
the conversation, and the lock's re-check finds it no longer due; one that arrives after finds it
empty (anonymise: new words on an old thread, swept again once resolved and quiet) or gone
(delete: the inbox's policy starts a new conversation). The files leave storage after commit,
through Django's storage API (S3 media the same way).

What lives where is privacy.erasure's knowledge, shared with the erasure of one person.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from conversations.models import Attachment, Contact, ContactIdentity, Conversation
from conversations.pacing import rest_after

from .erasure import (
    CONTACT_BLANKS,
    anonymise_conversations_admin_log,
    delete_files,
    empty_conversations,
    erase_conversation_edges,
    id_array,
    relabel_admin_log,
)
from .models import AnonymisedConversation, RetentionPolicy

RETENTION_BATCH_SIZE = 200
# After each batch of a drain (privacy.tasks) the sweep rests RETENTION_REST_FACTOR times as long
# as the batch took, and at least RETENTION_PAUSE_SECONDS (conversations.pacing): the real-time
# servers share the machine and the database with it. Nobody waits on retention: 100,000 due
# conversations still drain in about two minutes (python -m bench retention). Batches of 500
# resting 50 ms doubled L1's p99 beside them.
RETENTION_REST_FACTOR = 3.0
RETENTION_PAUSE_SECONDS = 0.05


def retention_rest(batch_seconds: float) -> float:
    """How long a drain rests after a full batch that took `batch_seconds`."""
    return rest_after(batch_seconds, factor=RETENTION_REST_FACTOR, floor=RETENTION_PAUSE_SECONDS)


@dataclass(frozen=True)
class Cursor:
    """Where a drain is in the policy's due conversations, oldest activity first: the next batch
    starts after it, so a drain reads each conversation once however many batches it takes."""

    last_activity_at: datetime
    conversation_id: int

    def as_task_arguments(self) -> list:
        return [self.last_activity_at.isoformat(), self.conversation_id]

    @classmethod
    def from_task_arguments(cls, arguments: list | None) -> "Cursor | None":
        if not arguments:
            return None
        return cls(datetime.fromisoformat(arguments[0]), int(arguments[1]))


@dataclass(frozen=True)
class RetentionBatch:
    conversations: int  # anonymised or deleted
    messages: int  # blanked or deleted with them
    contacts: int  # contacts blanked: nothing of theirs was left to keep
    file_names: list[str] = field(default_factory=list)
    cursor: Cursor | None = None  # where the next batch starts; None: the drain is over


def due_conversations(policy: RetentionPolicy, now: datetime) -> QuerySet:
    """The policy's inbox's resolved conversations that were resolved, and last active, before
    now minus its days; in anonymise mode, not those already anonymised as resolved then.

    Read oldest activity first from the core's indexes on last activity ((inbox, status,
    -last_activity_at), or the desk's keyset one): no index of retention's own on the hot table.
    Last activity is at least the time of the last message, so a conversation resolved long ago
    that took a satisfaction answer yesterday waits."""
    cutoff = now - timedelta(days=policy.days)
    due = Conversation.objects.filter(
        inbox_id=policy.inbox_id,
        status=Conversation.Status.RESOLVED,
        last_activity_at__lt=cutoff,
        resolved_at__lt=cutoff,
    )
    if policy.mode == RetentionPolicy.Mode.ANONYMISE:
        done = AnonymisedConversation.objects.filter(
            conversation=OuterRef("pk"), resolved_at=OuterRef("resolved_at")
        )
        due = due.exclude(Exists(done))
    return due


def conversations_retain_batch(
    *,
    policy: RetentionPolicy,
    now: datetime | None = None,
    after: Cursor | None = None,
    batch_size: int = RETENTION_BATCH_SIZE,
) -> RetentionBatch:
    """Anonymise or delete, in one short transaction, up to `batch_size` of the policy's due
    conversations (after `after`), and blank their contacts who have nothing else left to keep.
    The files leave storage once this has committed.
    A full batch returns a cursor: more may be due."""
    now = now or timezone.now()
    due = due_conversations(policy, now)
    if after is not None:
        # The first condition is implied by the second; it is what bounds the index scan (an OR
        # is not), so each batch reads from where the last one stopped, not from the oldest.
        due = due.filter(last_activity_at__gte=after.last_activity_at).filter(
            Q(last_activity_at__gt=after.last_activity_at)
            | Q(last_activity_at=after.last_activity_at, pk__gt=after.conversation_id)
        )
    with transaction.atomic():
        rows = list(
            due.order_by("last_activity_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", "contact_id", "resolved_at", "last_activity_at")[:batch_size]
        )
        if not rows:
            return RetentionBatch(0, 0, 0)
        ids = [row[0] for row in rows]
        anonymise_conversations_admin_log(ids)
        if policy.mode == RetentionPolicy.Mode.ANONYMISE:
            emptied = empty_conversations(ids)
            AnonymisedConversation.objects.bulk_create(
                [
                    AnonymisedConversation(conversation_id=pk, resolved_at=resolved_at, anonymised_at=now)
                    for pk, _, resolved_at, _ in rows
                ],
                update_conflicts=True,
                unique_fields=["conversation"],
                update_fields=["resolved_at", "anonymised_at"],
            )
            messages, file_names = emptied.messages, emptied.file_names
        else:
            erase_conversation_edges(ids)
            file_names = [
                name
                for name in Attachment.objects.filter(message__conversation_id__in=id_array(ids)).values_list(
                    "file", flat=True
                )
                if name
            ]
            messages = delete_cascading(Conversation.objects.filter(pk__in=id_array(ids))).get(
                "conversations.Message", 0
            )
        contacts = _blank_contacts_left_empty({row[1] for row in rows})
        transaction.on_commit(lambda: delete_files(file_names))
    last = rows[-1]
    cursor = Cursor(last[3], last[0]) if len(rows) >= batch_size else None
    return RetentionBatch(len(ids), messages, contacts, file_names, cursor)


def _blank_contacts_left_empty(contact_ids: set[int]) -> int:
    """Blank the contacts none of whose conversations holds anything any more (each anonymised as
    it was last resolved, or deleted), and delete their identities: a number writing again later
    is a new contact. The row stays (a customer writing at this instant finds a contact to write
    as). One a message holds right now is skipped: they are writing, their new conversation will
    be swept in time, and they with it."""
    unswept = Conversation.objects.filter(contact=OuterRef("pk")).exclude(
        Exists(
            AnonymisedConversation.objects.filter(
                conversation=OuterRef("pk"), resolved_at=OuterRef("resolved_at")
            )
        )
    )
    empty = list(
        Contact.objects.filter(pk__in=id_array(contact_ids))
        .exclude(Exists(unswept))
        .order_by("pk")
        .select_for_update(no_key=True, skip_locked=True)
        .values_list("pk", flat=True)
    )
    if not empty:
        return 0
    relabel_admin_log(Contact, empty)
    identities = ContactIdentity.objects.filter(contact_id__in=id_array(empty))
    relabel_admin_log(ContactIdentity, identities.values_list("pk", flat=True))
    identities.delete()
    return Contact.objects.filter(pk__in=id_array(empty)).update(**CONTACT_BLANKS)


def delete_cascading(queryset: QuerySet) -> dict[str, int]:
    """Delete `queryset`'s rows and what points at them as Django's on_delete says (CASCADE
    deletes, SET_NULL clears), one statement per table whatever the number of rows: Django's own
    delete() loads every related row into Python first. Returns the rows deleted per model."""
    model = queryset.model
    deleted: dict[str, int] = {}
    pks = queryset.values("pk")
    # Hidden relations too (related_name="+", many-to-many link tables): they cascade all the same.
    relations = [
        relation
        for relation in model._meta.get_fields(include_hidden=True)
        if (relation.one_to_many or relation.one_to_one) and relation.auto_created and not relation.concrete
    ]
    for relation in relations:
        related = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": pks})
        if relation.on_delete is models.CASCADE:
            for label, count in delete_cascading(related).items():
                deleted[label] = deleted.get(label, 0) + count
        elif relation.on_delete is models.SET_NULL:
            related.update(**{relation.field.name: None})
        elif relation.on_delete is not models.DO_NOTHING:
            raise NotImplementedError(
                f"{relation.related_model._meta.label}.{relation.field.name}: {relation.on_delete}"
            )
    sql, params = pks.query.sql_with_params()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} IN ({sql})",  # noqa: S608 (quoted names, parameters bound)
            params,
        )
        deleted[model._meta.label] = deleted.get(model._meta.label, 0) + cursor.rowcount
    return deleted
