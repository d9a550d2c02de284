"""The bot's background jobs: id-only, each loads and calls one service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def take_bot_turn(conversation_id: int) -> None:
    services.bot_take_turn(conversation_id=conversation_id)


def queue_bot_turn(conversation_id: int) -> None:
    """registry.answer_bot_due calls this after commit: the bot answers in a worker."""
    take_bot_turn.delay(conversation_id)


@shared_task
def settle_quiet_episodes() -> int:
    return services.settle_quiet_episodes()
