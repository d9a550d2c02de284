"""The durable subscriber: inside the transaction of each change, a delivery row per subscription
that wants the event, and the delivery tasks queued once it commits.

Cost per event: nothing when no active subscription wants it (the per-process index answers);
otherwise three queries (the candidates' current rows, the conversation's status and contact, one
INSERT for all the deliveries).
"""

import logging
from collections.abc import Iterable, Sequence
from uuid import UUID

from django.db.models import Q
from django.utils import timezone

from conversations import events, jobs
from conversations.models import Conversation

from .index import subscription_index
from .models import EventType, WebhookDelivery, WebhookSubscription
from .payloads import ConversationFacts, is_public, payload_for

DELIVER_WEBHOOK = "outbound_webhooks.tasks.deliver_webhook"  # a job (conversations.jobs)

logger = logging.getLogger(__name__)

SUBSCRIBABLE = frozenset(EventType.values)


def record_events(batch: Sequence[events.Event]) -> None:
    """Write the deliveries each event of `batch` is owed (called by the core inside the causing
    transaction)."""
    for event in batch:
        record_event(event)


def record_event(event: events.Event) -> None:
    """Write the deliveries `event` is owed."""
    event_type = event.get("type")
    if event_type not in SUBSCRIBABLE or not is_public(event):
        return
    candidates = subscription_index.candidates(event_type, event.get("inbox_id"))
    if not candidates:
        return
    subscription_ids = _still_wanting(candidates, event_type, event["inbox_id"])
    if not subscription_ids:
        return
    facts = _conversation_facts(event["conversation_id"])
    if facts is None:
        return
    try:
        payload = payload_for(event, facts, timezone.now())
    except Exception:
        # A bug here must not cost the customer's message: log it and let the change commit.
        logger.exception("no webhook payload for %s; its deliveries are skipped", event_type)
        return
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription_id=subscription_id,
            event_type=event_type,
            conversation_id=event["conversation_id"],
            payload=payload,
            next_attempt_at=timezone.now(),
        )
        for subscription_id in subscription_ids
    )
    enqueue_on_commit(delivery.pk for delivery in deliveries)


def enqueue_on_commit(delivery_ids: Iterable[UUID]) -> None:
    """Queue a delivery task per row once the transaction commits. Robust: a broker that is down
    then loses no delivery, since the rows are committed and the sweep queues due ones."""
    for delivery_id in delivery_ids:
        jobs.run_after_commit(DELIVER_WEBHOOK, str(delivery_id))


def _still_wanting(candidates: list[int], event_type: str, inbox_id: int) -> list[int]:
    """The candidates that, per the database, are active and want this event of this inbox (the
    index may be a moment behind a change made in another process)."""
    rows = (
        WebhookSubscription.objects.filter(pk__in=candidates, is_active=True)
        .filter(Q(inboxes=None) | Q(inboxes=inbox_id))
        .values_list("pk", "event_types")
        .order_by("pk")
    )
    # The inbox join may repeat a row; dict keeps the first of each, in order.
    wanting = {subscription_id: types for subscription_id, types in rows if event_type in (types or [])}
    if len(wanting) < len(candidates):
        # The index named a subscription that is gone or changed (a change it was not told of, a
        # rolled-back one): read it afresh on the next event rather than ask again each time.
        subscription_index.invalidate()
    return list(wanting)


def _conversation_facts(conversation_id: int) -> ConversationFacts | None:
    return (
        Conversation.objects.filter(pk=conversation_id)
        .values("status", "contact_id", "contact__name")
        .first()
    )
