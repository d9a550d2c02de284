"""Outbound delivery: the outbox row's lifecycle and the message's forward-only delivery status.

A message's delivery_status only moves forward: pending -> sent -> delivered -> read, or to
failed from pending or sent. Late, duplicate or out-of-order provider callbacks are therefore
harmless. Only an explicit retry (message_retry_delivery) takes a failed message back to pending.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from operations.metrics import DELIVERY_ATTEMPTS

from .. import events, jobs, registry
from ..event_catalogue import EventType
from ..models import DeliveryAttempt, Message, OutboundDelivery
from ..outbox import DeliveryOutcome, Outbox, RetryPolicy, attempt_finish

logger = logging.getLogger(__name__)

Status = Message.DeliveryStatus
State = OutboundDelivery.State
Outcome = DeliveryAttempt.Outcome
MAX_DELIVERY_ATTEMPTS = 8
# Leased for the broker's visibility timeout; after attempt n a wait of 1..2**n seconds, never
# longer than a task's countdown may be; given up after MAX_DELIVERY_ATTEMPTS.
OUTBOX = Outbox(
    model=OutboundDelivery,
    job=jobs.DELIVER_MESSAGE,
    job_key="message_id",
    waiting=State.QUEUED,
    sending=State.IN_FLIGHT,
    done=State.DONE,
    dead=State.DEAD,
    policy=RetryPolicy(base_seconds=2.0, max_attempts=MAX_DELIVERY_ATTEMPTS, jitter_from_seconds=1.0),
)
NO_ADAPTER_RECHECK = timedelta(minutes=5)
UNKNOWN_OUTCOME = "unknown_outcome"  # the error code of a message whose send may or may not have arrived
_RANK = {Status.PENDING: 0, Status.SENT: 1, Status.DELIVERED: 2, Status.READ: 3}


def can_advance(current: str, new: str) -> bool:
    if current == new:
        return False
    if new == Status.FAILED:
        return current in (Status.PENDING, Status.SENT)
    if current == Status.FAILED:
        return False
    return _RANK[new] > _RANK[current]


def message_update_delivery_status(
    *, message_id: int, status: str, error_code: str = "", error: str = "", provider_message_id: str = ""
) -> Message:
    """Apply a delivery report. Moves the status forward or does nothing; announces real changes."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",)).select_related("conversation").get(pk=message_id)
        )
        if not can_advance(message.delivery_status, status):
            return message
        message.delivery_status = status
        fields = ["delivery_status"]
        if status == Status.FAILED:
            message.provider_error_code, message.provider_error = error_code, error
            fields += ["provider_error_code", "provider_error"]
        if provider_message_id and not message.provider_message_id:
            message.provider_message_id = provider_message_id
            fields.append("provider_message_id")
        message.save(update_fields=fields)
        _publish_delivery_changed(message)
        return message


def _publish_delivery_changed(message: Message) -> None:
    events.publish_on_commit(
        events.conversation_event(
            EventType.MESSAGE_UPDATED,
            message.conversation,
            message_id=message.pk,
            message_seq=message.seq,
            delivery_status=message.delivery_status,
            error=message.provider_error,
        ),
        groups=events.conversation_groups(message.conversation),
    )


def message_deliver(*, message_id: int) -> DeliveryOutcome:
    """One delivery attempt for a queued outbound message (the body of the delivery task).

    Claims the outbox row under its lock, so two workers never send the same message; a row already
    done or dead is left alone, so a redelivered task never re-sends what the provider accepted.
    Each try is a DeliveryAttempt committed before the provider call: one left unfinished (the
    worker died mid-send) or unknown (the answer was lost) is settled first by asking the provider
    whether it has the message; where the provider cannot tell, the message fails with that
    reason and only an agent's retry sends it again.
    """
    claim = _claim(message_id)
    if isinstance(claim, DeliveryOutcome):
        return claim
    delivery, sender = claim
    lost = _unsettled_attempt(delivery)
    if lost is not None:
        settled = _settle_lost_answer(delivery, sender, lost)
        if settled is not None:
            return settled
    attempt = _start_attempt(delivery)
    try:
        receipt = sender.send(delivery.message)
    except registry.PermanentDeliveryError as error:
        return _finish_failed(delivery, attempt, error)
    except registry.TransientDeliveryError as error:
        return _retry_or_fail(delivery, attempt, error)
    return _finish_accepted(delivery, attempt, receipt, Outcome.ACCEPTED)


def _claim(message_id: int) -> tuple[OutboundDelivery, registry.OutboundSender] | DeliveryOutcome:
    """Take the row's lease for one attempt, or say why there is nothing to do now."""
    with transaction.atomic():
        delivery = (
            OutboundDelivery.objects.select_for_update(of=("self",))
            .select_related("message__conversation__inbox")
            .get(message_id=message_id)
        )
        now = timezone.now()
        busy = OUTBOX.not_now(delivery, now)
        if busy is not None:
            return busy
        inbox = delivery.message.conversation.inbox
        sender = registry.sender_for(inbox.channel_type)
        if sender is None:
            # Not an attempt: the message waits, unfailed, until an adapter exists; the sweep rechecks.
            delivery.state = State.QUEUED
            delivery.last_error = f"No adapter is registered for {inbox.get_channel_type_display()} yet."
            delivery.next_attempt_at = now + NO_ADAPTER_RECHECK
            delivery.save(update_fields=["state", "last_error", "next_attempt_at", "updated_at"])
            return DeliveryOutcome(State.QUEUED)
        OUTBOX.lease_take(delivery, now, "updated_at")
        return delivery, sender


def _unsettled_attempt(delivery: OutboundDelivery) -> DeliveryAttempt | None:
    """The last attempt, when its answer never came back and no agent has chosen to send again."""
    last = delivery.attempt_log.order_by("-number").first()
    if last is None or last.outcome not in ("", Outcome.UNKNOWN):
        return None
    if delivery.resend_confirmed:
        return None
    return last


def _settle_lost_answer(
    delivery: OutboundDelivery, sender: registry.OutboundSender, lost: DeliveryAttempt
) -> DeliveryOutcome | None:
    """Ask the provider about an attempt whose answer was lost. None: it does not have the
    message, so sending is safe; otherwise how the delivery ended (or when to ask again)."""
    try:
        receipt = sender.find_accepted(delivery.message, since=lost.started_at)
    except registry.CannotTell:
        return _finish_failed(delivery, lost, _cannot_tell(delivery), result=Outcome.UNKNOWN)
    except registry.TransientDeliveryError as error:
        now = timezone.now()
        if OUTBOX.exhausted(delivery, now):
            return _finish_failed(delivery, lost, _cannot_tell(delivery), result=Outcome.UNKNOWN)
        retry = OUTBOX.retry_later(delivery, error=error.reason, now=now, retry_after=error.retry_after)
        return _settle(delivery, lost, retry, result=Outcome.UNKNOWN, error=error)
    if receipt is not None:
        return _finish_accepted(delivery, lost, receipt, Outcome.FOUND)
    attempt_finish(lost, now=timezone.now(), **_attempt_record(Outcome.NOT_SENT))
    return None


def _cannot_tell(delivery: OutboundDelivery) -> registry.PermanentDeliveryError:
    channel = delivery.message.conversation.inbox.get_channel_type_display()
    return registry.PermanentDeliveryError(
        f"The answer from {channel} was lost while sending, and {channel} offers no way to check "
        "whether the message arrived. Retry to send it again (the customer may then get it twice).",
        code=UNKNOWN_OUTCOME,
    )


def _start_attempt(delivery: OutboundDelivery) -> DeliveryAttempt:
    """Committed before the provider call, so a worker that dies mid-send leaves it unfinished."""
    with transaction.atomic():
        number = (delivery.attempt_log.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        attempt = DeliveryAttempt.objects.create(delivery=delivery, number=number, started_at=timezone.now())
        if delivery.resend_confirmed:
            OutboundDelivery.objects.filter(pk=delivery.pk).update(resend_confirmed=False)
        return attempt


def _attempt_record(
    result: str, error: registry.DeliveryError | None = None, provider_id: str = ""
) -> dict[str, str]:
    return {
        "outcome": result,
        "provider_message_id": provider_id,
        "error_code": error.code if error else "",
        "error": error.reason if error else "",
    }


def _finish_accepted(
    delivery: OutboundDelivery, attempt: DeliveryAttempt, receipt: registry.SendReceipt, result: str
) -> DeliveryOutcome:
    done = DeliveryOutcome(State.DONE)
    return _settle(delivery, attempt, done, result=result, provider_id=receipt.provider_message_id)


def _retry_or_fail(
    delivery: OutboundDelivery, attempt: DeliveryAttempt, error: registry.TransientDeliveryError
) -> DeliveryOutcome:
    """Refused for now: tried again after the backoff (or the provider's Retry-After) until the
    attempts are spent. An ambiguous refusal is never given up blind: the next attempt asks the
    provider whether it has the message."""
    now = timezone.now()
    if error.ambiguous:
        retry = OUTBOX.retry_later(delivery, error=error.reason, now=now, retry_after=error.retry_after)
        return _settle(delivery, attempt, retry, result=Outcome.UNKNOWN, error=error)
    outcome = OUTBOX.after_failure(delivery, error=error.reason, now=now, retry_after=error.retry_after)
    result = Outcome.RETRY if outcome.state == State.QUEUED else Outcome.REFUSED
    return _settle(delivery, attempt, outcome, result=result, error=error)


def _finish_failed(
    delivery: OutboundDelivery,
    attempt: DeliveryAttempt,
    error: registry.DeliveryError,
    *,
    result: str = Outcome.REFUSED,
) -> DeliveryOutcome:
    dead = DeliveryOutcome(State.DEAD, error=error.reason)
    return _settle(delivery, attempt, dead, result=result, error=error)


def _settle(
    delivery: OutboundDelivery,
    attempt: DeliveryAttempt,
    outcome: DeliveryOutcome,
    *,
    result: str,
    error: registry.DeliveryError | None = None,
    provider_id: str = "",
) -> DeliveryOutcome:
    """Record the attempt's `result`, move the outbox row to `outcome` and the message with it
    (sent, or failed with the provider's reason), in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        record = _attempt_record(result, error, provider_id)
        OUTBOX.settle(delivery, outcome, attempt=attempt, now=now, attempt_record=record, updated_at=now)
        if outcome.state == State.DONE:
            message_update_delivery_status(
                message_id=delivery.message_id, status=Status.SENT, provider_message_id=provider_id
            )
        elif outcome.state == State.DEAD and error is not None:
            message_update_delivery_status(
                message_id=delivery.message_id,
                status=Status.FAILED,
                error_code=error.code,
                error=error.reason,
            )
    channel = delivery.message.conversation.inbox.channel_type
    DELIVERY_ATTEMPTS.labels(channel, result, error.code if error else "").inc()
    if outcome.state == State.QUEUED and outcome.due is not None:
        wait = (outcome.due - now).total_seconds()
        logger.info("delivery of message %s deferred %.1fs: %s", delivery.message_id, wait, outcome.error)
    return outcome


def message_retry_delivery(*, message_id: int) -> Message:
    """Send a failed message again (the desk's retry): back to pending with a fresh outbox row."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",)).select_related("conversation").get(pk=message_id)
        )
        if message.delivery_status != Status.FAILED:
            return message
        resend_confirmed = message.provider_error_code == UNKNOWN_OUTCOME
        message.delivery_status = Status.PENDING
        message.provider_error_code = message.provider_error = ""
        message.save(update_fields=["delivery_status", "provider_error_code", "provider_error"])
        OutboundDelivery.objects.update_or_create(
            message=message,
            defaults={
                "state": State.QUEUED,
                "attempts": 0,
                "last_error": "",
                "next_attempt_at": timezone.now(),
                # The agent saw "we cannot tell whether it arrived" and chose to send again.
                "resend_confirmed": resend_confirmed,
            },
        )
        _publish_delivery_changed(message)
        jobs.run_after_commit(jobs.DELIVER_MESSAGE, message.pk)
        return message


def outbound_requeue_due(*, batch_size: int = 500) -> int:
    """Enqueue outbox rows whose time has come but that no task holds (a lost broker message, a
    worker killed mid-send). Runs on beat; the row lock in message_deliver makes extra tasks harmless."""
    return OUTBOX.requeue_due(batch_size=batch_size)
