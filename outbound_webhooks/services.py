"""All writes of outbound webhooks: subscriptions' lifecycle, one delivery attempt, replay, sweep.

A delivery moves pending -> delivering -> delivered, or back to pending to retry, or to failed
for good (410 Gone, 24 hours of failures, or its subscription disabled). Only a replay takes a
delivered or failed delivery back to pending, keeping its id.
"""

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from api_common import signing
from conversations.outbox import DeliveryOutcome, Outbox, RetryPolicy

from . import transport
from .index import subscription_index
from .models import PING, WebhookAttempt, WebhookDelivery, WebhookSubscription, new_secret
from .payloads import ping_payload
from .subscriber import DELIVER_WEBHOOK, enqueue_on_commit

logger = logging.getLogger(__name__)

State = WebhookDelivery.State
RETRY_WINDOW = timedelta(hours=24)  # from the first attempt; also how long a failing endpoint lasts
BASE_DELAY_SECONDS = 30.0
MAX_DELAY_SECONDS = 3 * 3600.0
DISABLE_AFTER_FAILED_DELIVERIES = 10
ROTATION_GRACE = timedelta(hours=24)  # the old secret still signs, alongside the new one
EARLY_TOLERANCE = timedelta(seconds=5)  # a task may arrive a little before its row is due
SWEEP_GRACE = timedelta(seconds=60)  # the row's own task normally comes first
GONE = 410
# After attempt n a random wait up to min(MAX_DELAY, BASE_DELAY * 2**(n-1)), at least a second;
# retried until RETRY_WINDOW has passed since the first attempt.
RETRY_POLICY = RetryPolicy(
    base_seconds=BASE_DELAY_SECONDS, cap_seconds=MAX_DELAY_SECONDS, window=RETRY_WINDOW
)


def lease() -> timedelta:
    """How long a claimed delivery is the claiming worker's: well past the request's timeout."""
    return timedelta(seconds=transport.timeout_seconds() * 3 + 30)


OUTBOX = Outbox(
    model=WebhookDelivery,
    job=DELIVER_WEBHOOK,
    job_key="pk",
    job_argument=str,
    waiting=State.PENDING,
    sending=State.DELIVERING,
    done=State.DELIVERED,
    dead=State.FAILED,
    policy=RETRY_POLICY,
    lease=lease,
    early_tolerance=EARLY_TOLERANCE,
    sweep_grace=SWEEP_GRACE,
    guard_lease=True,
)


# --- subscriptions ---


def subscription_create(
    *, name: str, url: str, event_types: list[str], inbox_ids: list[int] | tuple[int, ...] = ()
) -> WebhookSubscription:
    subscription = WebhookSubscription(name=name, url=url, event_types=list(event_types))
    subscription.full_clean()
    with transaction.atomic():
        subscription.save()
        subscription.inboxes.set(inbox_ids)
        subscription_index.announce_change()
    return subscription


def subscriptions_changed() -> None:
    """Call after writing subscriptions outside these services (the admin's form): every
    process's index must learn of it."""
    subscription_index.announce_change()


def subscription_rotate_secret(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """A new secret at once; the old one keeps signing alongside it for ROTATION_GRACE, so the
    business can switch its receiver over without refusing a single delivery."""
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = timezone.now() + ROTATION_GRACE
        locked.secret = new_secret()
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
        return locked


def subscription_enable(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """Deliver again, with a clean failure record. Deliveries failed meanwhile stay failed: replay
    them from the deliveries list."""
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.is_active:
            return locked
        locked.is_active = True
        locked.disabled_reason, locked.disabled_at = "", None
        locked.failing_since, locked.consecutive_failures = None, 0
        locked.save()
        subscription_index.announce_change()
        return locked


def subscription_disable(*, subscription: WebhookSubscription, reason: str) -> WebhookSubscription:
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.is_active:
            _disable(locked, reason, timezone.now())
        return locked


def subscription_send_ping(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """A test event, sent even to a disabled subscription (to check an endpoint before enabling)."""
    with transaction.atomic():
        now = timezone.now()
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            event_type=PING,
            payload=ping_payload(subscription.pk, now),
            next_attempt_at=now,
        )
        enqueue_on_commit([delivery.pk])
        return delivery


def _disable(subscription: WebhookSubscription, reason: str, now: datetime) -> None:
    """Caller holds the subscription's lock. What it still owes fails now, visibly, instead of
    waiting out its retries against an endpoint nobody is fixing."""
    subscription.is_active = False
    subscription.disabled_reason, subscription.disabled_at = reason, now
    subscription.save(update_fields=["is_active", "disabled_reason", "disabled_at", "updated_at"])
    WebhookDelivery.objects.filter(subscription=subscription, state=State.PENDING).exclude(
        event_type=PING
    ).update(state=State.FAILED, last_error=f"Not sent: the subscription was disabled. {reason}")
    subscription_index.announce_change()


# --- one delivery attempt ---


@dataclass(frozen=True)
class _Claim:
    delivery: WebhookDelivery
    attempt: WebhookAttempt
    url: str
    secrets: list[str]


def webhook_deliver(*, delivery_id: UUID | str) -> DeliveryOutcome:
    """One attempt at a delivery (the body of the delivery task): claim it, POST it, record it.

    Claiming takes the row lock and a lease (the row is `delivering` until `next_attempt_at`), so
    two workers never send the same delivery at once; a task for a row that is done, leased, or
    not yet due does nothing. The POST happens outside any transaction. The result is recorded
    only while the lease is still this attempt's, so a worker that outlived its lease cannot
    overwrite the attempt that took over. A worker that dies mid-request leaves its attempt
    unfinished; the sweep retries once the lease runs out (the business may then get the delivery
    twice, with the same Parley-Delivery id).
    """
    claim = _claim(delivery_id)
    if isinstance(claim, DeliveryOutcome):
        return claim
    delivery = claim.delivery
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        signing.SIGNATURE_HEADER: signing.sign_many(claim.secrets, body, int(time.time())),
        signing.DELIVERY_HEADER: str(delivery.pk),
        signing.EVENT_HEADER: delivery.event_type,
    }
    result = transport.post(claim.url, body, headers)
    outcome, disabled = _record(claim, result)
    if disabled is not None:
        _notify_admins(disabled)  # after the commit: mail is not transactional
    return outcome


def _claim(delivery_id: UUID | str) -> _Claim | DeliveryOutcome:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            return DeliveryOutcome("missing")
        now = timezone.now()
        busy = OUTBOX.not_now(delivery, now)
        if busy is not None:
            return busy
        subscription = WebhookSubscription.objects.filter(pk=delivery.subscription_id).first()
        if subscription is None:  # deleted while the event's transaction was writing this row
            delivery.delete()
            return DeliveryOutcome("missing")
        if not subscription.is_active and delivery.event_type != PING:
            delivery.state = State.FAILED
            delivery.last_error = f"Not sent: the subscription is disabled. {subscription.disabled_reason}"
            delivery.save(update_fields=["state", "last_error"])
            return DeliveryOutcome(State.FAILED)
        WebhookAttempt.objects.filter(delivery=delivery, finished_at=None).update(
            finished_at=now, error="The worker was lost mid-request; the business may have received it."
        )
        delivery.first_attempt_at = delivery.first_attempt_at or now
        OUTBOX.lease_take(delivery, now, "first_attempt_at")
        attempt = WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts, started_at=now)
        return _Claim(delivery, attempt, subscription.url, _signing_secrets(subscription, now))


def _signing_secrets(subscription: WebhookSubscription, now: datetime) -> list[str]:
    rotating = subscription.previous_secret and (subscription.previous_secret_expires_at or now) > now
    return [subscription.secret, subscription.previous_secret] if rotating else [subscription.secret]


def _record(
    claim: _Claim, result: transport.PostResult
) -> tuple[DeliveryOutcome, WebhookSubscription | None]:
    """Finish the attempt and move the delivery on; returns the outcome and the subscription if
    this failure disabled it."""
    delivery, now = claim.delivery, timezone.now()
    outcome = _outcome_of(delivery, result, now)
    attempt_record = {
        "status_code": result.status_code,
        "response_excerpt": result.response_excerpt,
        "error": result.error,
        "duration_ms": result.duration_ms,
    }
    columns = {"last_status_code": result.status_code}
    if result.delivered:
        columns["delivered_at"] = now
    with transaction.atomic():
        if not OUTBOX.settle(
            delivery, outcome, attempt=claim.attempt, now=now, attempt_record=attempt_record, **columns
        ):
            return DeliveryOutcome("lease_lost"), None
        if result.delivered:
            WebhookSubscription.objects.filter(pk=delivery.subscription_id).filter(
                Q(failing_since__isnull=False) | Q(consecutive_failures__gt=0)
            ).update(failing_since=None, consecutive_failures=0)
            return outcome, None
        return outcome, _note_failure(
            delivery.subscription_id, gave_up=outcome.state == State.FAILED, now=now
        )


def _outcome_of(delivery: WebhookDelivery, result: transport.PostResult, now: datetime) -> DeliveryOutcome:
    """Delivered on a 2xx; failed for good on 410 Gone or at the end of the retry window; else
    pending again after the backoff."""
    if result.delivered:
        return DeliveryOutcome(State.DELIVERED)
    if result.status_code == GONE:
        error = f"{result.error}: the endpoint says it is gone; not retried."
        return OUTBOX.after_failure(delivery, error=error, now=now, permanent=True)
    return OUTBOX.after_failure(delivery, error=result.error, now=now)


def _note_failure(subscription_id: int, *, gave_up: bool, now: datetime) -> WebhookSubscription | None:
    """Count the failure against the subscription; disable it when its endpoint has failed every
    attempt for RETRY_WINDOW, or DISABLE_AFTER_FAILED_DELIVERIES deliveries in a row failed for
    good. Returns the subscription when this disabled it."""
    subscription = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
    if subscription is None:
        return None
    subscription.failing_since = subscription.failing_since or now
    subscription.consecutive_failures += int(gave_up)
    subscription.save(update_fields=["failing_since", "consecutive_failures", "updated_at"])
    if not subscription.is_active:
        return None
    if now - subscription.failing_since >= RETRY_WINDOW:
        reason = f"Every delivery has failed since {subscription.failing_since:%Y-%m-%d %H:%M} UTC."
    elif subscription.consecutive_failures >= DISABLE_AFTER_FAILED_DELIVERIES:
        reason = f"{subscription.consecutive_failures} deliveries in a row failed for good."
    else:
        return None
    _disable(subscription, f"Disabled automatically: {reason}", now)
    return subscription


def _notify_admins(subscription: WebhookSubscription) -> None:
    """Tell the superusers (and settings.ADMINS) a subscription stopped; never fail the worker."""
    recipients = set(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    ) | {email for _, email in settings.ADMINS}
    if not recipients:
        logger.warning("webhook subscription %s disabled and nobody to tell", subscription.pk)
        return
    path = reverse("admin:outbound_webhooks_webhooksubscription_change", args=[subscription.pk])
    body = (
        f"Parley stopped sending events to the webhook subscription “{subscription.name}”\n"
        f"({subscription.url}).\n\n{subscription.disabled_reason}\n\n"
        f"Fix the endpoint, then re-enable the subscription and replay its failed deliveries:\n"
        f"{settings.PUBLIC_URL}{path}\n"
    )
    try:
        send_mail(
            f"Webhook subscription disabled: {subscription.name}",
            body,
            settings.DEFAULT_FROM_EMAIL,
            sorted(recipients),
        )
    except Exception:
        logger.exception("could not email admins about disabled subscription %s", subscription.pk)


# --- replay and the sweep ---


def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivered or failed delivery again: the same id and payload (the business
    deduplicates on the id), new attempts, a new retry window. Others are left as they are."""
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.state not in (State.DELIVERED, State.FAILED):
            return locked
        subscription = WebhookSubscription.objects.get(pk=locked.subscription_id)
        if not subscription.is_active and locked.event_type != PING:
            raise ValidationError(f"“{subscription}” is disabled: re-enable it first.")
        locked.state = State.PENDING
        locked.next_attempt_at = timezone.now()
        locked.first_attempt_at = locked.delivered_at = None
        locked.last_error = ""
        locked.save(
            update_fields=["state", "next_attempt_at", "first_attempt_at", "delivered_at", "last_error"]
        )
        enqueue_on_commit([locked.pk])
        return locked


def deliveries_requeue_due(*, batch_size: int = 500) -> int:
    """Queue a task for deliveries due a while ago that no task seems to hold: an enqueue lost
    after commit, a retry longer than a countdown may be, a worker killed mid-request once its
    lease ran out. Runs on beat; extra tasks are no-ops (webhook_deliver's claim)."""
    return OUTBOX.requeue_due(batch_size=batch_size)
