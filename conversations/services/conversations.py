"""Conversation state: status (open, pending, snoozed, resolved), assignment, read markers."""

import enum
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events, jobs, registry
from ..capabilities import send_refusal
from ..event_catalogue import EventType
from ..models import Conversation, Label, Message, OutboundDelivery, ReadMarker
from .appending import (
    activity_line,
    actor_name,
    append_in_bulk,
    publish_assigned,
    publish_status_changed,
    record_activity,
)
from .bot import release_from_bot
from .locks import lock_conversation
from .sessions import session_note_assigned, session_note_resolved

Status = Conversation.Status
WAKE_BATCH_SIZE = 500


def conversation_resolve(*, conversation: Conversation, actor: AbstractBaseUser | None) -> Conversation:
    """Resolve: the customer's next message opens it again (or starts a new one, per the inbox)."""
    return _change_status(conversation, Status.RESOLVED, actor=actor, verb="resolved the conversation")


def conversation_reopen(*, conversation: Conversation, actor: AbstractBaseUser | None) -> Conversation:
    return _change_status(conversation, Status.OPEN, actor=actor, verb="reopened the conversation")


def conversation_mark_pending(*, conversation: Conversation, actor: AbstractBaseUser | None) -> Conversation:
    """Pending: waiting on the customer."""
    return _change_status(conversation, Status.PENDING, actor=actor, verb="set the conversation pending")


def conversation_snooze(
    *, conversation: Conversation, until: datetime, actor: AbstractBaseUser | None
) -> Conversation:
    """Hide until `until`; it wakes then (beat) or as soon as the customer writes."""
    if until <= timezone.now():
        raise ValidationError(_("That time has passed: choose a time in the future to snooze until."))
    return _change_status(
        conversation,
        Status.SNOOZED,
        actor=actor,
        until=until,
        verb=f"snoozed the conversation until {until:%Y-%m-%d %H:%M} UTC",
    )


def _change_status(
    conversation: Conversation,
    status: str,
    *,
    actor: AbstractBaseUser | None,
    verb: str,
    until: datetime | None = None,
) -> Conversation:
    with transaction.atomic():
        locked = lock_conversation(conversation.pk)
        previous_status = locked.status
        if previous_status == status and locked.snoozed_until == until:
            return locked
        locked.reopen_count += int(previous_status == Status.RESOLVED and status == Status.OPEN)
        locked.status = status
        locked.snoozed_until = until
        locked.resolved_at = timezone.now() if status == Status.RESOLVED else None
        if status == Status.RESOLVED:
            locked.waiting_since = None
        locked.save(update_fields=["status", "snoozed_until", "resolved_at", "waiting_since", "reopen_count"])
        record_activity(locked, f"{actor_name(actor)} {verb}")
        if status == Status.RESOLVED:  # after the activity line: the event carries its seq
            session_note_resolved(locked, locked.resolved_at)
        publish_status_changed(locked, previous_status)
        if locked.assignee_id is not None:  # its weight against the agent's capacity changed
            registry.routing_due(agent_id=locked.assignee_id)
        elif status == Status.OPEN:
            registry.routing_due(inbox_id=locked.inbox_id)
        return locked


class Keep(enum.Enum):
    """Leave this field as it is (None means "clear it")."""

    KEEP = "keep"


KEEP = Keep.KEEP


def conversation_assign(
    *,
    conversation: Conversation,
    assignee: AbstractBaseUser | None,
    actor: AbstractBaseUser | None,
    team_id: int | Keep | None = KEEP,
) -> Conversation:
    """Give the conversation to `assignee` (None unassigns) and, with `team_id`, to a team (None
    clears it; KEEP, the default, leaves it).

    The caller has checked that the assignee may work this inbox (agents.services does).
    """
    if assignee is not None and not assignee.is_active:
        raise ValidationError(_("Cannot assign to a deactivated user."))
    with transaction.atomic():
        locked = lock_conversation(conversation.pk)
        assignee_id = assignee.pk if assignee is not None else None
        new_team_id = locked.team_id if team_id is KEEP else team_id
        if locked.assignee_id == assignee_id and locked.team_id == new_team_id:
            return locked
        if locked.assignee_id != assignee_id:
            record_activity(locked, _assignment_line(actor, assignee))
        if locked.team_id != new_team_id:
            locked.team_id = new_team_id
            team = f"team {locked.team}" if new_team_id is not None else "no team"
            record_activity(locked, f"{actor_name(actor)} moved the conversation to {team}")
        previous_assignee_id = locked.assignee_id
        locked.assignee_id = assignee_id
        released = release_from_bot(locked) if assignee_id is not None else []
        locked.save(update_fields=["assignee", "team", *released])
        if previous_assignee_id not in (None, assignee_id):
            registry.routing_due(agent_id=previous_assignee_id)  # they have room now
        if assignee_id is None and locked.status == Status.OPEN:
            registry.routing_due(inbox_id=locked.inbox_id)  # it waits again
        session_note_assigned(locked, assignee_id, timezone.now())
        publish_assigned(
            locked,
            assignee_id,
            actor_name(assignee) if assignee is not None else None,
            actor_id=actor.pk if actor is not None else None,
        )
        return locked


def conversation_set_skill(
    *, conversation: Conversation, skill_id: int | None, actor: AbstractBaseUser | None
) -> Conversation:
    """Say what skill the conversation needs of whoever answers it (None: any). One that waits
    unassigned is routed again at once: the agents who may take it changed."""
    with transaction.atomic():
        locked = lock_conversation(conversation.pk)
        if locked.skill_id == skill_id:
            return locked
        locked.skill_id = skill_id
        locked.save(update_fields=["skill"])
        needs = f"needs {locked.skill}" if skill_id is not None else "needs no particular skill"
        record_activity(locked, f"{actor_name(actor)}: the conversation {needs}")
        if locked.assignee_id is None and locked.status == Status.OPEN:
            registry.routing_due(inbox_id=locked.inbox_id)
        events.publish_on_commit(
            events.conversation_event(EventType.CONVERSATION_UPDATED, locked, skill_id=skill_id),
            groups=events.conversation_groups(locked, agents_only=True),
        )
        return locked


def _assignment_line(actor: AbstractBaseUser | None, assignee: AbstractBaseUser | None) -> str:
    if assignee is None:
        return f"{actor_name(actor)} unassigned the conversation"
    if actor is not None and actor.pk == assignee.pk:
        return f"{actor_name(actor)} self-assigned the conversation"
    return f"{actor_name(actor)} assigned the conversation to {actor_name(assignee)}"


def conversation_update(
    *,
    conversation: Conversation,
    actor: AbstractBaseUser | None,
    priority: int | Keep = KEEP,
    labels: Iterable[Label] | Keep = KEEP,
    add_labels: Iterable[Label] = (),
    remove_labels: Iterable[Label] = (),
) -> Conversation:
    """Set priority and/or the labels (the whole set), or add and take off some labels (to the
    labels as they are under the lock: one set meanwhile stays); announce it when something
    changed."""
    added, removed = {label.pk for label in add_labels}, {label.pk for label in remove_labels}
    with transaction.atomic():
        locked = lock_conversation(conversation.pk)
        changed = False
        if priority is not KEEP and priority != locked.priority:
            locked.priority = priority
            locked.save(update_fields=["priority"])
            changed = True
        if labels is not KEEP or added or removed:
            had = set(locked.labels.values_list("pk", flat=True))
            wanted = ({label.pk for label in labels} if labels is not KEEP else had) | added
            if wanted - removed != had:
                locked.labels.set(wanted - removed)
                changed = True
        if changed:
            events.publish_on_commit(
                events.conversation_event(
                    EventType.CONVERSATION_UPDATED,
                    locked,
                    priority=locked.priority,
                    label_ids=sorted(locked.labels.values_list("pk", flat=True)),
                ),
                groups=events.conversation_groups(locked, agents_only=True),
            )
        return locked


def conversation_mark_read_by_agent(
    *, conversation: Conversation, agent: AbstractBaseUser, up_to_seq: int
) -> ReadMarker:
    """Move the agent's read marker forward (never back) to `up_to_seq`. The customer's messages up
    to it that no agent had read yet become read, and the customer's clients are told ("Seen"),
    without who read them; the desks hear each agent's own marker."""
    up_to_seq = min(up_to_seq, conversation.last_seq)
    with transaction.atomic():
        marker, _ = ReadMarker.objects.select_for_update().get_or_create(
            conversation=conversation, agent=agent
        )
        if up_to_seq > marker.last_read_seq:
            marker.last_read_seq = up_to_seq
            marker.save(update_fields=["last_read_seq", "updated_at"])
            events.publish_on_commit(
                events.conversation_event(
                    EventType.CONVERSATION_READ,
                    conversation,
                    reader="agent",
                    agent_id=agent.pk,
                    read_seq=up_to_seq,
                ),
                groups=events.conversation_groups(conversation, agents_only=True),
            )
            _customer_messages_seen(conversation, up_to_seq)
        return marker


def _customer_messages_seen(conversation: Conversation, up_to_seq: int) -> None:
    seen = Message.objects.filter(
        conversation_id=conversation.pk,
        seq__lte=up_to_seq,
        sender_kind=Message.SenderKind.CONTACT,
        delivery_status__in=[Message.DeliveryStatus.SENT, Message.DeliveryStatus.DELIVERED],
    ).update(delivery_status=Message.DeliveryStatus.READ)
    if seen:  # the first agent to get this far: once, whoever reads after
        events.publish_on_commit(
            events.conversation_event(
                EventType.CONVERSATION_READ, conversation, reader="agent", read_seq=up_to_seq
            ),
            groups=(events.contact_group(conversation.contact_id, conversation.inbox_id),),
        )


def conversation_mark_read_by_contact(*, conversation: Conversation, up_to_seq: int) -> Conversation:
    """The customer has seen everything up to `up_to_seq`: outgoing messages up to it become read."""
    with transaction.atomic():
        locked = lock_conversation(conversation.pk)
        up_to_seq = min(up_to_seq, locked.last_seq)
        if up_to_seq <= locked.contact_last_read_seq:
            return locked
        locked.contact_last_read_seq = up_to_seq
        locked.save(update_fields=["contact_last_read_seq"])
        Message.objects.filter(
            conversation=locked,
            seq__lte=up_to_seq,
            is_private=False,
            sender_kind__in=[Message.SenderKind.AGENT, Message.SenderKind.BOT],
            delivery_status__in=[Message.DeliveryStatus.SENT, Message.DeliveryStatus.DELIVERED],
        ).update(delivery_status=Message.DeliveryStatus.READ)
        events.publish_on_commit(
            events.conversation_event(
                EventType.CONVERSATION_READ, locked, reader="contact", read_seq=up_to_seq
            ),
            groups=events.conversation_groups(locked),
        )
        return locked


def conversations_set_sla_due(due: dict[int, datetime | None]) -> None:
    """Record each conversation's nearest service-level deadline (None: no clock runs). The reports
    app calls it inside the transaction of the change that started or stopped a clock; desks read
    it with the row they were about to re-fetch anyway."""
    by_due: dict[datetime | None, list[int]] = {}
    for conversation_id, deadline in due.items():
        by_due.setdefault(deadline, []).append(conversation_id)
    for deadline, ids in by_due.items():
        Conversation.objects.filter(pk__in=ids).update(sla_due_at=deadline)


def conversations_wake_snoozed(*, now: datetime | None = None, batch_size: int = WAKE_BATCH_SIZE) -> int:
    """Open, in one bounded batch, the conversations whose snooze has run out; returns how many
    woke (beat runs it; a full batch queues the next run). Set-based like every expiry: the batch
    is locked with SKIP LOCKED (status re-checked under the lock: a customer who wrote meanwhile
    already woke it), then woken with one activity line each in a fixed number of statements."""
    now = now or timezone.now()
    snoozed = Conversation.objects.filter(status=Status.SNOOZED)
    with transaction.atomic():
        due_ids = list(
            snoozed.select_for_update(skip_locked=True)
            .filter(snoozed_until__lte=now)
            .order_by("snoozed_until", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not due_ids:
            return 0
        woken = append_in_bulk(
            {pk: activity_line("Snooze ended: the conversation is open again") for pk in due_ids},
            at=now,
            status=Status.OPEN,
            snoozed_until=None,
        )
        for conversation, _ in woken.values():
            publish_status_changed(conversation, Status.SNOOZED)
            if conversation.assignee_id is None:
                registry.routing_due(inbox_id=conversation.inbox_id)
        return len(due_ids)


def conversations_auto_resolve_pending(
    *, now: datetime | None = None, batch_size: int = WAKE_BATCH_SIZE
) -> int:
    """Resolve, in one bounded batch, the conversations pending on the customer whose last message
    is older than their inbox's auto_resolve_after, each with the inbox's closing message to the
    customer (not on channels with a reply window: it could be refused). Returns how many; a
    re-run changes nothing. Set-based: a fixed number of statements whatever the batch size."""
    now = now or timezone.now()
    deadline = ExpressionWrapper(Value(now) - F("inbox__auto_resolve_after"), output_field=DateTimeField())
    pending = Conversation.objects.filter(status=Status.PENDING)
    with transaction.atomic():
        due = pending.filter(inbox__auto_resolve_after__isnull=False, last_activity_at__lt=deadline)
        locked = list(
            pending.select_for_update(skip_locked=True, of=("self",))  # status re-checked under the lock
            .filter(pk__in=due.values("pk"))
            .select_related("inbox")
            .order_by("pk")[:batch_size]
        )
        if not locked:
            return 0
        Conversation.objects.filter(pk__in=[c.pk for c in locked]).update(
            status=Status.RESOLVED, resolved_at=now, waiting_since=None, snoozed_until=None
        )
        said = append_in_bulk(
            {
                c.pk: {
                    "sender_kind": Message.SenderKind.BOT,
                    "body": c.inbox.auto_resolve_message,
                    "delivery_status": Message.DeliveryStatus.PENDING
                    if registry.needs_provider_delivery(c.inbox.channel_type)
                    else Message.DeliveryStatus.SENT,
                }
                for c in locked
                if c.inbox.auto_resolve_message
                and send_refusal(c, body=c.inbox.auto_resolve_message, by_person=False) is None
            },
            at=now,
        )
        outgoing = [m for _, m in said.values() if m.delivery_status == Message.DeliveryStatus.PENDING]
        OutboundDelivery.objects.bulk_create(
            OutboundDelivery(message=m, next_attempt_at=now) for m in outgoing
        )
        for conversation in Conversation.objects.filter(pk__in=[c.pk for c in locked]):
            publish_status_changed(conversation, Status.PENDING)
            if conversation.assignee_id is not None:
                registry.routing_due(agent_id=conversation.assignee_id)
        if outgoing:
            for message in outgoing:
                jobs.run_after_commit(jobs.DELIVER_MESSAGE, message.pk)
        return len(locked)


def label_create(*, name: str, description: str = "", color: str = "") -> Label:
    """A new label; a name in use is refused in words. Nothing to announce: labels appear in
    pickers when they are next opened."""
    try:
        with transaction.atomic():
            return Label.objects.create(
                name=name, description=description, **({"color": color} if color else {})
            )
    except IntegrityError as error:
        raise ValidationError(_("A label named “%(name)s” already exists.") % {"name": name}) from error
