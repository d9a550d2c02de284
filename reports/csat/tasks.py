"""The survey's background jobs: id-only, each calls one service."""

from celery import shared_task

from . import queueing, sending


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def send_surveys(conversation_id: int) -> int:
    """queueing.SEND_SURVEYS: ask the conversation's queued surveys, after the resolve committed."""
    return sending.surveys_send(conversation_id=conversation_id)


@shared_task
def requeue_stale_surveys() -> int:
    """Beat: queue again the sends a broker outage lost."""
    return queueing.surveys_requeue_stale()
