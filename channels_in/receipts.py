"""Webhook events from receipt to conversation: store first, then apply exactly once, and end
every receipt in a final state.

A receipt is committed before the provider is answered, with one INSERT; a worker applies it
(receipts_apply_soon asks for one, coalesced: one drain queued at a time). Applying it (a message
through message_receive, a delivery report through message_update_delivery_status) happens in the
transaction that marks it applied, under its row lock. So replays, concurrent duplicates and a
crash anywhere in between all end with one message and one event.

Every receipt ends APPLIED, or FAILED with its reason in `last_error`; nothing is retried without
bound (DESIGN.md, the input boundary):
- An event that can never apply fails at its first try: the core refused it (ValidationError,
  e.g. an SMS with no text and no media), it names no customer (ValueError), Postgres refused its
  values (DataError), or the stored event is not one this code can read (MalformedEvent).
  Retrying the same event cannot help.
- A delivery report whose message is not known yet (its send's answer is still being recorded)
  waits STATUS_WAITS_FOR_MESSAGE for it, tried by each sweep; then it is FAILED as dropped, with
  its reason, rather than marked applied: most often a report about a message sent from this
  number by something other than Parley.
- Any other error (a lock timeout, a lost connection, a bug) gets MAX_ATTEMPTS tries in all, one
  per sweep, then FAILED with the last error.
A receipt failing for good logs one warning (with a traceback only for an unexpected error). The
admin's "Apply again" (receipt_apply_again) gives a failed receipt a fresh budget once an
operator fixed the cause.

Text Postgres cannot store (NUL, lone surrogates) in a signed event is replaced with U+FFFD
before storing, with a note on the receipt: nobody can correct what the provider signed.
"""

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DataError, transaction
from django.db.models import F
from django.utils import timezone

from conversations import jobs, services
from conversations.boundary import replace_unstorable
from conversations.models import Attachment, Inbox, Message

from .adapters.base import (
    InboundEvent,
    InboundMail,
    InboundMessage,
    StatusUpdate,
    event_from_json,
    event_to_json,
)
from .email.receiving import stored_mail_receive
from .media import DOWNLOAD_MEDIA
from .models import WebhookReceipt
from .profiles import profile_ask_after_commit

logger = logging.getLogger(__name__)

State = WebhookReceipt.State

MAX_ATTEMPTS = 5
# A delivery report can beat the send's own answer (Twilio posts "sent" while our worker is
# still recording the sid): it waits for its message this long before it is dropped.
STATUS_WAITS_FOR_MESSAGE = timedelta(hours=1)
SWEEP_BATCH = 200
APPLY_BATCH = 100  # receipts a drain selects at a time
# ... and applies in one transaction: one lock query, one commit and one update marking them
# applied for all (a commit and the receipt's own reads and writes were a third of a receipt's
# cost), while a batch's events wait for its commit no more than a few tens of milliseconds.
APPLY_TOGETHER = 20
APPLY_NEW_RECEIPTS = "channels_in.tasks.apply_new_receipts"
# Set while a drain is queued and has not begun: the webhooks meanwhile queue no other. It expires
# in case the queued drain is lost with its broker; beat's sweep applies what that left.
DRAIN_QUEUED = "parley:receipts:drain-queued"
DRAIN_QUEUED_SECONDS = 10
# A queued drain begins this long after the first webhook that asked for it, so that the webhooks
# of a burst share it (each would otherwise queue a task of its own as soon as the last began).
DRAIN_GATHERS_SECONDS = 0.2
COUNT_LIMIT = 10_000  # /healthz counts receipts up to this many per state, so its query stays cheap


class MessageNotYetKnown(Exception):
    pass


class MalformedEvent(Exception):
    """The stored event is not one this version of Parley can read."""


# Errors that the same event raises again on every try.
CANNOT_APPLY: tuple[type[Exception], ...] = (ValidationError, ValueError, DataError, MalformedEvent)


def receipts_store(*, inbox: Inbox, provider: str, events: Sequence[InboundEvent], raw_body: bytes) -> None:
    """Store the events of one verified webhook, in one INSERT (a replay's are already there),
    and once that is committed ask a worker to apply them. Characters Postgres cannot store are
    replaced with U+FFFD, in the event and the raw body, and counted in the receipt's note."""
    if not events:
        return
    raw, replaced_in_raw = replace_unstorable(raw_body.decode("utf-8", errors="replace"))
    receipts = [_receipt(inbox, provider, event, raw, replaced_in_raw) for event in events]
    WebhookReceipt.objects.bulk_create(receipts, ignore_conflicts=True)
    # Robust: a broker that is down loses nothing, the receipts are committed and the sweep's.
    transaction.on_commit(receipts_apply_soon, robust=True)


def receipts_apply_soon() -> None:
    """Queue a drain (receipts_apply_new) unless one is queued and has not begun yet: that one
    will find these receipts too, so a burst of webhooks costs one task, not one each."""
    if cache.add(DRAIN_QUEUED, 1, timeout=DRAIN_QUEUED_SECONDS):
        jobs.run(APPLY_NEW_RECEIPTS, countdown=DRAIN_GATHERS_SECONDS)


def receipts_apply_new(*, batch_size: int = APPLY_BATCH) -> int:
    """A worker's drain: apply the receipts never tried yet, oldest first, APPLY_BATCH selected
    at a time and APPLY_TOGETHER applied in one transaction, until none is left; one that another
    process is applying is left to it, one that fails is left to the sweep (its tries are
    counted). Returns how many this drain applied."""
    cache.delete(DRAIN_QUEUED)  # from now on a new receipt queues another drain
    applied, after = 0, 0
    while True:
        batch = list(
            WebhookReceipt.objects.filter(state=State.PENDING, attempts=0, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        applied += sum(
            _apply_together(batch[start : start + APPLY_TOGETHER])
            for start in range(0, len(batch), APPLY_TOGETHER)
        )
        if len(batch) < batch_size:
            return applied
        after = batch[-1]


def _receipt(
    inbox: Inbox, provider: str, event: InboundEvent, raw: str, replaced_in_raw: int
) -> WebhookReceipt:
    stored_event, replaced = replace_unstorable(event_to_json(event))
    key, _ = replace_unstorable(event.key)  # made of the event's ids: counted in the event already
    return WebhookReceipt(
        inbox=inbox,
        provider=provider,
        key=key,
        event=stored_event,
        raw_body=raw,
        note=replaced_note(replaced + replaced_in_raw),
    )


def replaced_note(replaced: int) -> str:
    if not replaced:
        return ""
    characters = "character" if replaced == 1 else "characters"
    return f"Replaced {replaced} {characters} Postgres cannot store (NUL or unpaired surrogates)."


def receipt_apply(receipt_id: int) -> bool:
    """Apply one pending receipt, unless another process is applying it right now. Returns
    whether this call applied it. A failure is recorded on the receipt (still pending, or failed
    for good: see the module's docstring) and never reaches the provider as an error."""
    try:
        return _apply_locked([receipt_id]) == 1
    except Exception as error:  # the transaction itself broke: count the try outside it
        logger.warning("webhook receipt %s: could not record its try", receipt_id, exc_info=True)
        _count_attempt_unlocked(receipt_id, _reason(error))
    return False


def _apply_together(receipt_ids: list[int]) -> int:
    """receipt_apply for several receipts in one transaction (one lock query, one commit, one
    update marking them applied). Should the transaction itself break, each is tried alone.
    Returns how many this call applied."""
    try:
        return _apply_locked(receipt_ids)
    except Exception:  # the transaction broke (a lost connection): each one on its own
        logger.warning("webhook receipts %s: applying them together failed", receipt_ids, exc_info=True)
        return sum(receipt_apply(receipt_id) for receipt_id in receipt_ids)


def _apply_locked(receipt_ids: list[int]) -> int:
    """Apply the pending receipts of `receipt_ids` that no other process holds, in one
    transaction, each in a savepoint of its own: one that fails is recorded (_record_failure)
    and the others still apply. Returns how many were applied; raises if the transaction broke."""
    with transaction.atomic():
        receipts = (
            # Only the receipts' rows: locking their inbox too made a webhook that arrived while
            # another of the same inbox was applied skip its own receipt (left to the sweep).
            WebhookReceipt.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("inbox")
            .filter(pk__in=receipt_ids, state=State.PENDING)
            .order_by("pk")
        )
        applied = []
        for receipt in receipts:
            try:
                with transaction.atomic():  # a failure undoes the apply and keeps the receipt's lock
                    _apply(receipt.inbox, _stored_event(receipt))
            except Exception as error:
                _record_failure(receipt, error)
            else:
                applied.append(receipt.pk)
        WebhookReceipt.objects.filter(pk__in=applied).update(
            attempts=F("attempts") + 1, last_error="", state=State.APPLIED, processed_at=timezone.now()
        )
        return len(applied)


def _stored_event(receipt: WebhookReceipt) -> InboundEvent:
    try:
        return event_from_json(receipt.event)
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedEvent(f"The stored event cannot be read ({type(error).__name__}: {error}).") from error


def _apply(inbox: Inbox, event: InboundEvent) -> None:
    if isinstance(event, StatusUpdate):
        _apply_status(inbox, event)
    elif isinstance(event, InboundMessage):
        _apply_message(inbox, event)
    elif isinstance(event, InboundMail):
        stored_mail_receive(inbox, event)


def _apply_message(inbox: Inbox, event: InboundMessage) -> None:
    contact, likely_conversation_id = services.contact_identify_for_message(
        inbox=inbox, source_id=event.source_id, name=event.contact_name, phone=event.phone
    )
    message = services.message_receive(
        inbox=inbox,
        contact=contact,
        likely_conversation_id=likely_conversation_id,
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
        pending = Attachment.objects.filter(message=message, file="").values_list("pk", flat=True)
        for attachment_id in pending:
            jobs.run_after_commit(DOWNLOAD_MEDIA, attachment_id)
    profile_ask_after_commit(inbox=inbox, contact=contact)  # who they are, once this is stored


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


def _record_failure(receipt: WebhookReceipt, error: Exception) -> None:
    """Count the failed try on the locked receipt, and fail it for good when trying again cannot
    help or its budget (of tries, or of time for a report waiting for its message) is spent."""
    reason = _reason(error)
    if isinstance(error, MessageNotYetKnown):
        waited_enough = receipt.received_at < timezone.now() - STATUS_WAITS_FOR_MESSAGE
        final = waited_enough
        if waited_enough:
            reason = f"Dropped after waiting {_hours(STATUS_WAITS_FOR_MESSAGE)} for its message: {reason}"
    else:
        final = isinstance(error, CANNOT_APPLY) or receipt.attempts + 1 >= MAX_ATTEMPTS
    _record_attempt(receipt, reason, final=State.FAILED if final else None)
    if final:
        unexpected = not isinstance(error, (*CANNOT_APPLY, MessageNotYetKnown))
        logger.warning(
            "webhook receipt %s (%s %s) failed after %s attempt(s): %s",
            receipt.pk,
            receipt.provider,
            receipt.key,
            receipt.attempts,
            reason,
            exc_info=error if unexpected else None,
        )
    elif not isinstance(error, MessageNotYetKnown):
        logger.info(
            "webhook receipt %s: attempt %s of %s failed, the sweep tries again: %s",
            receipt.pk,
            receipt.attempts,
            MAX_ATTEMPTS,
            reason,
        )


def _record_attempt(receipt: WebhookReceipt, reason: str, *, final: str | None) -> None:
    receipt.attempts += 1
    receipt.last_error = reason
    fields = ["attempts", "last_error"]
    if final is not None:
        receipt.state, receipt.processed_at = final, timezone.now()
        fields += ["state", "processed_at"]
    receipt.save(update_fields=fields)


def _count_attempt_unlocked(receipt_id: int, reason: str) -> None:
    """Best effort, when the try's own transaction broke: the count still grows, so even such a
    receipt meets its budget."""
    try:
        WebhookReceipt.objects.filter(pk=receipt_id, state=State.PENDING).update(
            attempts=F("attempts") + 1, last_error=reason
        )
        WebhookReceipt.objects.filter(pk=receipt_id, state=State.PENDING, attempts__gte=MAX_ATTEMPTS).update(
            state=State.FAILED, processed_at=timezone.now()
        )
    except Exception:  # the database is gone: the sweep tries again when it is back
        logger.warning("webhook receipt %s: could not count its try", receipt_id, exc_info=True)


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)[:2000]
    if isinstance(error, MessageNotYetKnown | MalformedEvent):
        return str(error)[:2000]
    return f"{type(error).__name__}: {error}"[:2000]


def _hours(wait: timedelta) -> str:
    hours = wait / timedelta(hours=1)
    return "1 hour" if hours == 1 else f"{hours:g} hours"


def receipts_apply_pending(*, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Beat's sweep: apply receipts still pending (their process died before applying them, or
    an earlier try failed and its budget is not spent). Returns how many were applied."""
    pending = list(
        WebhookReceipt.objects.filter(state=State.PENDING, received_at__lt=timezone.now() - older_than)
        .order_by("received_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return sum(receipt_apply(receipt_id) for receipt_id in pending)


def receipt_apply_again(*, receipt_id: int) -> WebhookReceipt:
    """An operator fixed what made receipt `receipt_id` fail: it is pending again with a fresh
    budget of tries and is applied now. An applied receipt is left alone. Returns the receipt as
    this ended: applied; failed again (by the same rules as before: a report still waiting for
    its message after its hour is dropped at once); or pending (another process is applying it,
    or an error worth retrying: the sweep carries on)."""
    WebhookReceipt.objects.filter(pk=receipt_id, state__in=[State.FAILED, State.PENDING]).update(
        state=State.PENDING, processed_at=None, attempts=0
    )
    receipt_apply(receipt_id)
    return WebhookReceipt.objects.get(pk=receipt_id)


def receipts_count_unsettled() -> dict[str, int]:
    """How many receipts are pending and how many failed, for /healthz: two queries, each over
    its partial index and stopping at COUNT_LIMIT, so they cost the same however many pile up."""
    return {
        "pending": WebhookReceipt.objects.filter(state=State.PENDING)[:COUNT_LIMIT].count(),
        "failed": WebhookReceipt.objects.filter(state=State.FAILED)[:COUNT_LIMIT].count(),
    }
