"""Service levels about to breach: a running clock that comes within its policy's warn_before of
its deadline is marked warned, once, and its conversation's desks hear `sla.warning` (the assignee
gets a notification; automation rules on "SLA about to breach" run). Beat runs it with the breach
sweep (reports.tasks.sweep_sla_breaches). Set-based, in batches; a clock locked by another sweep
is the next one's (SKIP LOCKED)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.utils import timezone

from conversations import events
from conversations.event_catalogue import EventType
from conversations.models import Conversation

from .models import SlaClock
from .sla import SWEEP_BATCH, policies


@dataclass(frozen=True)
class _Warned:
    """What an sla.warning event says of its conversation (events.conversation_event's fields)."""

    pk: int
    inbox_id: int
    assignee_id: int | None
    last_seq: int


def sla_warnings_sweep(now: datetime | None = None) -> int:
    """Warn, once each, the running clocks now within their policy's warn_before of their
    deadline and not yet past it. Returns how many clocks were warned."""
    now = now or timezone.now()
    horizon = max((policy.warn_before for policy in policies.get()), default=None)
    if horizon is None:  # no active policy: no clock starts, none is near
        return 0
    total = 0
    while True:
        warned = _warn_batch(now, horizon)
        total += warned
        if warned < SWEEP_BATCH:
            return total


def _warn_batch(now: datetime, horizon: timedelta) -> int:
    warn_from = ExpressionWrapper(F("due_at") - F("policy__warn_before"), output_field=DateTimeField())
    with transaction.atomic():
        due = list(
            SlaClock.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                stopped_at=None, breached_at=None, warned_at=None, due_at__gt=now, due_at__lte=now + horizon
            )
            .alias(warn_from=warn_from)
            .filter(warn_from__lte=Value(now))
            .order_by("due_at")
            .values_list("pk", "conversation_id", "target", "due_at")[:SWEEP_BATCH]
        )
        if not due:
            return 0
        SlaClock.objects.filter(pk__in=[pk for pk, *_ in due]).update(warned_at=now)
        conversations = {
            pk: _Warned(pk, inbox_id, assignee_id, last_seq)
            for pk, inbox_id, assignee_id, last_seq in Conversation.objects.filter(
                pk__in={conversation_id for _, conversation_id, _, _ in due}
            ).values_list("pk", "inbox_id", "assignee_id", "last_seq")
        }
        near: dict[int, tuple[list[str], datetime]] = {}
        for _, conversation_id, target, due_at in due:
            targets, nearest = near.get(conversation_id, ([], due_at))
            near[conversation_id] = ([*targets, target], min(nearest, due_at))
        with events.published_together():
            for conversation_id, (targets, nearest) in near.items():
                conversation = conversations.get(conversation_id)
                if conversation is None:
                    continue  # the conversation is gone: nobody to tell
                events.publish_on_commit(
                    events.conversation_event(
                        EventType.SLA_WARNING,
                        conversation,
                        targets=sorted(targets),
                        due_at=nearest.isoformat(),
                    ),
                    groups=events.conversation_groups(conversation, agents_only=True),
                )
    return len(due)
