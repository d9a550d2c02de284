"""Celery tasks: id-only arguments, one service call each (STYLE.md, tasks.py)."""

from celery import shared_task

from . import services
from .pacing import at_low_priority


@shared_task(acks_late=True, reject_on_worker_lost=True, max_retries=None, ignore_result=True)
def deliver_message(message_id: int) -> None:
    """Deliver one outbound message. Retries are scheduled by the service's backoff, not Celery's
    counter: the outbox row holds the attempt count, so a redelivered task never double-counts."""
    outcome = services.message_deliver(message_id=message_id)
    if outcome.retry_in is not None:
        deliver_message.apply_async((message_id,), countdown=outcome.retry_in)


@shared_task(ignore_result=True)
def wake_snoozed_conversations() -> int:
    woken = services.conversations_wake_snoozed()
    if woken >= services.WAKE_BATCH_SIZE:  # more are due: the next batch at once
        wake_snoozed_conversations.delay()
    return woken


@shared_task(ignore_result=True)
def auto_resolve_pending_conversations() -> int:
    resolved = services.conversations_auto_resolve_pending()
    if resolved >= services.WAKE_BATCH_SIZE:  # more are due: the next batch at once
        auto_resolve_pending_conversations.delay()
    return resolved


@shared_task(ignore_result=True)
def requeue_stalled_outbound() -> int:
    return services.outbound_requeue_due()


@shared_task(ignore_result=True)
def expire_live_sessions(*, drains: int = services.EXPIRY_DRAINS) -> int:
    """End the live sessions that are due, one bounded batch per run; a full batch queues the next
    run after a pause (services.expiry_rest: short, unless the batch's thread was kept from the
    cores), so a backlog drains without waiting for beat. Each batch runs at the lowest CPU
    priority (conversations.pacing), so the real-time servers keep their share meanwhile. Beat's
    run, finding a backlog, starts `drains` such chains side by side (each batch locks its own
    sessions); each goes on alone."""
    ran = at_low_priority(services.live_sessions_expire_batch)
    if ran.result.more:
        rest = services.expiry_rest(ran)
        for _ in range(drains):
            expire_live_sessions.apply_async(kwargs={"drains": 1}, countdown=rest)
    return ran.result.ended


@shared_task(ignore_result=True)
def route_freed_agents(agent_ids: list[int]) -> None:
    """Route waiting work to the agents an expiry batch freed (a live slot each)."""
    services.live_slots_route(agent_ids=agent_ids)


@shared_task(ignore_result=True)
def announce_queue(inbox_id: int) -> None:
    services.queue_announce_due(inbox_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True)
def send_transcript(conversation_id: int, to: str) -> int:
    return services.transcript_send(conversation_id=conversation_id, to=to)


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True)
def notify_contact_of_replies(conversation_id: int) -> int:
    return services.contact_notify_of_replies(conversation_id=conversation_id)


@shared_task(ignore_result=True)
def sync_message_templates() -> int:
    """Refresh every active template channel's approved templates (beat, hourly); an inbox whose
    provider refuses is logged and the others go on."""
    return services.templates_sync_all()
