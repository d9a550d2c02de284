"""Webhook events from receipt to conversation: store first, then apply exactly once.

A receipt is committed before the provider is answered; applying it (a message through
message_receive, a delivery report through message_update_delivery_status) happens in the
transaction that marks it processed, under its row lock. So replays, concurrent duplicates and a
crash anywhere in between all end with one message and one event.
"""

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from conversations import services
from conversations.models import Attachment, Inbox, Message

from .adapters.base import InboundEvent, InboundMessage, StatusUpdate, event_from_json, event_to_json
from .models import WebhookReceipt

logger = logging.getLogger(__name__)

# A delivery report can beat the send's own answer (Twilio posts "sent" while our worker is
# still recording the sid): it waits for its message this long before it is dropped.
STATUS_WAITS_FOR_MESSAGE = timedelta(hours=1)
SWEEP_BATCH = 200


class MessageNotYetKnown(Exception):
    pass


def receipts_store(
    *, inbox: Inbox, provider: str, events: Sequence[InboundEvent], raw_body: bytes
) -> list[int]:
    """Store the events of one verified webhook; returns the ids of those not yet applied
    (new ones, and any a replay finds still waiting)."""
    if not events:
        return []
    raw = raw_body.decode("utf-8", errors="replace")
    WebhookReceipt.objects.bulk_create(
        [
            WebhookReceipt(
                inbox=inbox, provider=provider, key=event.key, event=event_to_json(event), raw_body=raw
            )
            for event in events
        ],
        ignore_conflicts=True,
    )
    return list(
        WebhookReceipt.objects.filter(
            inbox=inbox, key__in=[event.key for event in events], processed_at__isnull=True
        ).values_list("pk", flat=True)
    )


def receipt_apply(receipt_id: int) -> bool:
    """Apply one stored event, unless it is applied already or another process is applying it
    right now. Returns whether this call applied it. A failure is recorded on the receipt (which
    stays pending for the sweep) and never reaches the provider as an error."""
    try:
        with transaction.atomic():
            receipt = (
                # Only the receipt's row: locking its inbox too made a webhook that arrived while
                # another of the same inbox was applied skip its own receipt (left to the sweep).
                WebhookReceipt.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("inbox")
                .filter(pk=receipt_id, processed_at__isnull=True)
                .first()
            )
            if receipt is None:
                return False
            _apply(receipt.inbox, event_from_json(receipt.event))
            receipt.processed_at = timezone.now()
            receipt.attempts += 1
            receipt.last_error = ""
            receipt.save(update_fields=["processed_at", "attempts", "last_error"])
            return True
    except MessageNotYetKnown as waiting:
        _note_failure(receipt_id, str(waiting), give_up_after=STATUS_WAITS_FOR_MESSAGE)
    except Exception as error:
        logger.exception("webhook receipt %s could not be applied", receipt_id)
        _note_failure(receipt_id, f"{type(error).__name__}: {error}")
    return False


def _apply(inbox: Inbox, event: InboundEvent) -> None:
    if isinstance(event, StatusUpdate):
        _apply_status(inbox, event)
    elif isinstance(event, InboundMessage):
        _apply_message(inbox, event)


def _apply_message(inbox: Inbox, event: InboundMessage) -> None:
    contact = services.contact_identify(
        inbox=inbox, source_id=event.source_id, name=event.contact_name, phone=event.phone
    )
    message = services.message_receive(
        inbox=inbox,
        contact=contact,
        body=event.body,
        content_type=Message.ContentType.SYSTEM if event.unsupported else Message.ContentType.TEXT,
        provider_message_id=event.provider_message_id,
        attachments=[
            services.AttachmentInput(
                mime_type=media.mime_type, file_name=media.file_name, remote_url=media.reference
            )
            for media in event.media
        ],
    )
    if event.media:
        from .tasks import download_media  # tasks import this module

        pending = Attachment.objects.filter(message=message, file="").values_list("pk", flat=True)
        for attachment_id in pending:
            download_media.delay_on_commit(attachment_id)


def _apply_status(inbox: Inbox, event: StatusUpdate) -> None:
    message_id = (
        Message.objects.filter(inbox=inbox, provider_message_id=event.provider_message_id)
        .values_list("pk", flat=True)
        .first()
    )
    if message_id is None and event.reference.isdigit():
        message_id = (
            Message.objects.filter(inbox=inbox, pk=int(event.reference)).values_list("pk", flat=True).first()
        )
    if message_id is None:
        raise MessageNotYetKnown(f"No message {event.provider_message_id} on this inbox yet.")
    services.message_update_delivery_status(
        message_id=message_id,
        status=event.status,
        error_code=event.error_code,
        error=event.error,
        provider_message_id=event.provider_message_id,
    )


def _note_failure(receipt_id: int, reason: str, give_up_after: timedelta | None = None) -> None:
    """Record why a receipt is still pending; one that waited long enough for its message is
    closed (a report about a message Parley never sent from this inbox)."""
    now = timezone.now()
    receipts = WebhookReceipt.objects.filter(pk=receipt_id, processed_at__isnull=True)
    receipts.update(last_error=reason[:2000], attempts=F("attempts") + 1)
    if give_up_after is not None:
        receipts.filter(received_at__lt=now - give_up_after).update(processed_at=now)


def receipts_apply_pending(*, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Beat's sweep: apply receipts still pending (their process died before applying them, or
    applying failed). Returns how many were applied."""
    pending = list(
        WebhookReceipt.objects.filter(processed_at__isnull=True, received_at__lt=timezone.now() - older_than)
        .order_by("received_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return sum(receipt_apply(receipt_id) for receipt_id in pending)
