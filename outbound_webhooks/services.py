"""All writes of outbound webhooks: subscriptions' lifecycle, one delivery attempt, replay, sweep.

A delivery moves pending -> delivering -> delivered, or back to pending to retry, or to failed
for good (410 Gone, 24 hours of failures, or its subscription disabled). Only a replay takes a
delivered or failed delivery back to pending, keeping its id.
"""

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from . import signing, transport
from .index import subscription_index
from .models import PING, WebhookAttempt, WebhookDelivery, WebhookSubscription, new_secret
from .payloads import ping_payload
from .subscriber import enqueue_on_commit

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


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one call of webhook_deliver came to. `retry_in` (seconds) is set when the task should
    queue itself again; a retry due later than the broker may hold a task is left to the sweep."""

    state: str
    retry_in: float | None = None


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
        if delivery.state in (State.DELIVERED, State.FAILED):
            return DeliveryOutcome(delivery.state)
        if delivery.state == State.DELIVERING and delivery.next_attempt_at > now:
            return DeliveryOutcome(State.DELIVERING)  # another worker holds the lease
        if delivery.state == State.PENDING and delivery.next_attempt_at > now + EARLY_TOLERANCE:
            return DeliveryOutcome(State.PENDING)  # not due: its own task or the sweep comes then
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
        delivery.state = State.DELIVERING
        delivery.attempts += 1
        delivery.first_attempt_at = delivery.first_attempt_at or now
        delivery.next_attempt_at = now + lease()
        delivery.save(update_fields=["state", "attempts", "first_attempt_at", "next_attempt_at"])
        attempt = WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts, started_at=now)
        return _Claim(delivery, attempt, subscription.url, _signing_secrets(subscription, now))


def lease() -> timedelta:
    """How long a claimed delivery is the claiming worker's: well past the request's timeout."""
    return timedelta(seconds=transport.timeout_seconds() * 3 + 30)


def _signing_secrets(subscription: WebhookSubscription, now: datetime) -> list[str]:
    rotating = subscription.previous_secret and (subscription.previous_secret_expires_at or now) > now
    return [subscription.secret, subscription.previous_secret] if rotating else [subscription.secret]


def _record(
    claim: _Claim, result: transport.PostResult
) -> tuple[DeliveryOutcome, WebhookSubscription | None]:
    """Finish the attempt and move the delivery on; returns the outcome and the subscription if
    this failure disabled it."""
    delivery, now = claim.delivery, timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.filter(pk=claim.attempt.pk).update(
            finished_at=now,
            status_code=result.status_code,
            response_excerpt=result.response_excerpt,
            error=result.error,
            duration_ms=result.duration_ms,
        )
        ours = WebhookDelivery.objects.filter(
            pk=delivery.pk, state=State.DELIVERING, attempts=delivery.attempts
        )
        if result.delivered:
            if not ours.update(
                state=State.DELIVERED, delivered_at=now, last_status_code=result.status_code, last_error=""
            ):
                return DeliveryOutcome("lease_lost"), None
            WebhookSubscription.objects.filter(pk=delivery.subscription_id).filter(
                Q(failing_since__isnull=False) | Q(consecutive_failures__gt=0)
            ).update(failing_since=None, consecutive_failures=0)
            return DeliveryOutcome(State.DELIVERED), None
        outcome, changes = _after_failure(delivery, result, now)
        if not ours.update(last_status_code=result.status_code, **changes):
            return DeliveryOutcome("lease_lost"), None
        return outcome, _note_failure(
            delivery.subscription_id, gave_up=outcome.state == State.FAILED, now=now
        )


def _after_failure(
    delivery: WebhookDelivery, result: transport.PostResult, now: datetime
) -> tuple[DeliveryOutcome, dict[str, Any]]:
    deadline = delivery.first_attempt_at + RETRY_WINDOW
    if result.status_code == GONE:
        error = f"{result.error}: the endpoint says it is gone; not retried."
        return DeliveryOutcome(State.FAILED), {"state": State.FAILED, "last_error": error}
    if now >= deadline:
        hours = RETRY_WINDOW.total_seconds() / 3600
        error = f"{result.error} (gave up: still failing {hours:g} hours after the first attempt)"
        return DeliveryOutcome(State.FAILED), {"state": State.FAILED, "last_error": error}
    due = min(now + timedelta(seconds=backoff_seconds(delivery.attempts)), deadline)
    wait = (due - now).total_seconds()
    retry_in = wait if wait <= countdown_ceiling() else None
    return DeliveryOutcome(State.PENDING, retry_in), {
        "state": State.PENDING,
        "next_attempt_at": due,
        "last_error": result.error,
    }


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter: after attempt n, a random wait up to
    min(MAX_DELAY, BASE_DELAY * 2**(n-1)); at least a second."""
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** min(max(attempts - 1, 0), 30))
    return max(1.0, random.uniform(0, ceiling))


def countdown_ceiling() -> float:
    """The longest countdown a task may carry: a Redis broker hands an unacknowledged task to
    another worker after the visibility timeout, so a longer ETA would run twice."""
    return settings.CELERY_VISIBILITY_TIMEOUT * 0.8


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
    from .tasks import deliver_webhook

    due = list(
        WebhookDelivery.objects.filter(
            state__in=[State.PENDING, State.DELIVERING], next_attempt_at__lte=timezone.now() - SWEEP_GRACE
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    for delivery_id in due:
        deliver_webhook.delay(str(delivery_id))
    return len(due)
