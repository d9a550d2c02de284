"""Celery tasks: id-only arguments, one service call each (STYLE.md, tasks.py)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_webhook(delivery_id: str) -> None:
    """One attempt at one delivery. Retries are scheduled from the row's own attempt count and
    retry window, not Celery's counter, so a redelivered task never double-counts; a retry due
    later than a countdown may safely be is queued by the sweep instead."""
    outcome = services.webhook_deliver(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        deliver_webhook.apply_async((delivery_id,), countdown=outcome.retry_in)


@shared_task(ignore_result=True)
def requeue_due_webhooks() -> int:
    return services.deliveries_requeue_due()
