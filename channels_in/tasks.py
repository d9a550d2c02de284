"""Celery tasks of the channels: id-only arguments, one service call each."""

from celery import shared_task

from conversations.registry import TransientDeliveryError

from . import media, receipts


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError, TransientDeliveryError),
    retry_backoff=True,
    max_retries=6,
)
def download_media(attachment_id: int) -> None:
    media.attachment_download(attachment_id)


@shared_task(ignore_result=True)
def apply_pending_receipts() -> int:
    return receipts.receipts_apply_pending()
