"""Celery tasks: id-only arguments, one service call each (STYLE.md, tasks.py)."""

import time

from celery import shared_task

from conversations.pacing import at_low_priority

from .models import RetentionPolicy
from .retention import Cursor, conversations_retain_batch, retention_rest


@shared_task(ignore_result=True)
def sweep_retention() -> int:
    """Beat, hourly: start one drain per inbox that has a retention policy."""
    policy_ids = list(RetentionPolicy.objects.order_by("pk").values_list("pk", flat=True))
    for policy_id in policy_ids:
        retain_inbox_conversations.delay(policy_id)
    return len(policy_ids)


@shared_task(ignore_result=True)
def retain_inbox_conversations(policy_id: int, after: list | None = None) -> int:
    """One bounded batch of the policy's due conversations; a full batch queues the next one from
    where it stopped, after a rest that grows with the batch's time (retention_rest), so a backlog
    drains without waiting for beat and the real-time servers keep their share of the machine
    meanwhile, each batch at the lowest CPU priority (conversations.pacing). Conversations
    skipped because a message held them are the next beat run's."""
    policy = RetentionPolicy.objects.filter(pk=policy_id).first()
    if policy is None:  # deleted meanwhile: nothing to keep to
        return 0
    started = time.monotonic()
    after_cursor = Cursor.from_task_arguments(after)
    batch = at_low_priority(conversations_retain_batch, policy=policy, after=after_cursor).result
    if batch.cursor is not None:
        rest = retention_rest(time.monotonic() - started)
        retain_inbox_conversations.apply_async((policy_id, batch.cursor.as_task_arguments()), countdown=rest)
    return batch.conversations
