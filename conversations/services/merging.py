"""Two conversations of one customer made one: an agent merges one into the other.

The survivor keeps its messages and their `seq`s; the merged-away conversation's messages follow
them, in their own order and with their delivery state, numbered on from the survivor's last
`seq` (one UPDATE: seqs stay gap-free on both sides, and a client that holds the survivor up to
any `seq` resyncs the rest with `history.after`, the one mechanism every client already has).
The merged-away conversation keeps nothing but an activity line and a pointer to the survivor
(`merged_into`): a message, a reply or a mail that still names it lands in the survivor. Both
histories say who merged what and when. Conversations of two contacts merge their contacts first
(contact_merge, which refuses two verified users); conversations of two inboxes are refused, since
a customer sees each inbox's conversations on that inbox's channel only.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events, registry
from ..event_catalogue import EventType
from ..models import Contact, Conversation, LiveSession, Message, ReadMarker
from .appending import actor_name, publish_assigned, publish_status_changed, record_activity
from .contacts import contact_merge
from .locks import lock_contact
from .sessions import session_note_resolved

Status = Conversation.Status


def conversation_merge(
    *, keep: Conversation, merge: Conversation, actor: AbstractBaseUser | None
) -> Conversation:
    """Merge `merge` into `keep` and return `keep` as it now is. Raises ValidationError, with
    nothing changed, when the two cannot be merged."""
    if keep.pk == merge.pk:
        raise ValidationError(_("A conversation cannot be merged into itself."))
    if keep.inbox_id != merge.inbox_id:
        raise ValidationError(
            _(
                "These conversations are on two inboxes: the customer sees each inbox's conversations "
                "on its own channel, so only conversations of one inbox can be merged."
            )
        )
    with transaction.atomic():
        if keep.contact_id != merge.contact_id:  # locks both contacts, as the lock order asks
            contact_merge(
                keep=Contact.objects.get(pk=keep.contact_id), merge=Contact.objects.get(pk=merge.contact_id)
            )
        else:
            lock_contact(keep.contact_id)
        locked = {
            conversation.pk: conversation
            for conversation in Conversation.objects.select_for_update()
            .filter(pk__in=[keep.pk, merge.pk])
            .order_by("pk")
        }
        survivor, merged = locked[keep.pk], locked[merge.pk]
        _check_mergeable(survivor, merged)
        before = {"survivor": survivor.status, "merged": merged.status, "assignee_id": survivor.assignee_id}
        freed_agent = merged.assignee_id
        offset, moved = survivor.last_seq, merged.last_seq
        Message.objects.filter(conversation=merged).update(conversation=survivor, seq=F("seq") + offset)
        session_note_resolved(merged, timezone.now())  # its messaging stretch ends, as on a resolve
        LiveSession.objects.filter(conversation=merged).update(conversation=survivor)  # all ended now
        _carry_read_positions(survivor, merged, offset)
        _take_over_state(survivor, merged, offset + moved)
        _mark_merged(merged, survivor, actor)
        survivor.labels.add(*merged.labels.all())
        name = actor_name(actor)
        record_activity(survivor, f"{name} merged conversation #{merged.pk} into this one ({moved} messages)")
        record_activity(merged, f"{name} merged this conversation into #{survivor.pk}")
        _announce(survivor, merged, before)
        if freed_agent is not None:
            registry.routing_due(agent_id=freed_agent)
        if survivor.status == Status.OPEN and survivor.assignee_id is None:
            registry.routing_due(inbox_id=survivor.inbox_id)
        return survivor


def surviving_conversation_id(conversation_id: int) -> int:
    """The conversation a message for `conversation_id` belongs in: itself, or the one it was
    merged into (merges re-point what pointed at them, so one step is the whole way)."""
    merged_into = (
        Conversation.objects.filter(pk=conversation_id).values_list("merged_into_id", flat=True).first()
    )
    return merged_into or conversation_id


def _check_mergeable(survivor: Conversation, merged: Conversation) -> None:
    for conversation in (survivor, merged):
        if conversation.merged_into_id is not None:
            raise ValidationError(
                _("Conversation #%(id)s was already merged into #%(into)s.")
                % {"id": conversation.pk, "into": conversation.merged_into_id}
            )
    if LiveSession.objects.filter(
        conversation=merged, kind=LiveSession.Kind.LIVE, closed_at__isnull=True
    ).exists():
        raise ValidationError(
            _(
                "Conversation #%(id)s has a live chat going: end it first, or merge the other "
                "conversation into this one."
            )
            % {"id": merged.pk}
        )


def _carry_read_positions(survivor: Conversation, merged: Conversation, offset: int) -> None:
    """Read positions are prefixes of `seq`: whoever had read the whole survivor has read as far
    into the moved messages as they had read of the merged-away conversation."""
    if survivor.contact_last_read_seq >= offset:
        survivor.contact_last_read_seq = offset + merged.contact_last_read_seq
    if survivor.contact_notified_seq >= offset:
        survivor.contact_notified_seq = offset + merged.contact_notified_seq
    read_of_merged = dict(
        ReadMarker.objects.filter(conversation=merged).values_list("agent_id", "last_read_seq")
    )
    for marker in ReadMarker.objects.filter(conversation=survivor, last_read_seq__gte=offset):
        marker.last_read_seq = offset + read_of_merged.get(marker.agent_id, 0)
        marker.save(update_fields=["last_read_seq", "updated_at"])
    ReadMarker.objects.filter(conversation=merged).delete()


def _take_over_state(survivor: Conversation, merged: Conversation, last_seq: int) -> None:
    """The survivor carries on whatever the merged-away conversation still had going: a question
    left open reopens it, a customer waiting keeps waiting (since the earlier time), its agent
    takes it when it had none."""
    survivor.last_seq = last_seq
    survivor.last_activity_at = max(survivor.last_activity_at, merged.last_activity_at)
    if merged.status != Status.RESOLVED and survivor.status == Status.RESOLVED:
        survivor.reopen_count += 1
        survivor.status, survivor.resolved_at = Status.OPEN, None
    survivor.waiting_since = _earliest(survivor.waiting_since, merged.waiting_since)
    if survivor.status == Status.RESOLVED:
        survivor.waiting_since = None
    survivor.first_reply_at = _earliest(survivor.first_reply_at, merged.first_reply_at)
    survivor.sla_due_at = _earliest(survivor.sla_due_at, merged.sla_due_at)
    survivor.priority = max(survivor.priority, merged.priority)
    if survivor.assignee_id is None and merged.assignee_id is not None:
        survivor.assignee_id, survivor.team_id = merged.assignee_id, merged.team_id or survivor.team_id
    survivor.save()


def _mark_merged(merged: Conversation, survivor: Conversation, actor: AbstractBaseUser | None) -> None:
    now = timezone.now()
    merged.status, merged.resolved_at = Status.RESOLVED, merged.resolved_at or now
    merged.waiting_since = merged.snoozed_until = merged.sla_due_at = None
    merged.assignee_id = None
    merged.merged_into, merged.merged_at = survivor, now
    merged.merged_by = actor if actor is not None and actor.pk else None
    merged.save()
    Conversation.objects.filter(merged_into=merged).update(merged_into=survivor)  # one step, always


def _announce(survivor: Conversation, merged: Conversation, before: dict) -> None:
    """After commit: the merged-away conversation is resolved and points to the survivor, whose
    `seq` grew; clients drop the one and resync the other by `seq`."""
    groups = {*events.conversation_groups(merged), *events.conversation_groups(survivor)}
    events.publish_on_commit(
        events.conversation_event(
            EventType.CONVERSATION_MERGED,
            merged,
            into_conversation_id=survivor.pk,
            into_seq=survivor.last_seq,
        ),
        groups=groups,
    )
    if merged.status != before["merged"]:
        publish_status_changed(merged, before["merged"])
    if survivor.status != before["survivor"]:
        publish_status_changed(survivor, before["survivor"])
    if survivor.assignee_id != before["assignee_id"]:
        publish_assigned(survivor, survivor.assignee_id, actor_name(survivor.assignee))


def _earliest(*moments):
    given = [moment for moment in moments if moment is not None]
    return min(given) if given else None
