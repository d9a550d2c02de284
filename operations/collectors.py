"""Figures read when Prometheus scrapes, not kept as counters: how deep and how old the outboxes
are, how many webhook receipts wait, how long the Celery queues are. One cheap query each (the
outboxes' and receipts' partial indexes; LLEN on the broker), served by the web processes' /metrics
only: they are facts about the database and the broker, the same whichever process reads them
(alert on max() over instances, docs/operations.md).
"""

import logging
import time
from collections.abc import Iterator

from celery import current_app as app
from django.conf import settings
from django.db.models import Count, F, Min
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from channels_in.models import WebhookReceipt
from channels_in.receipts import COUNT_LIMIT
from conversations.models import OutboundDelivery
from outbound_webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)

BUSINESS_WEBHOOKS = "business_webhooks"  # the outbox of a business's own webhook subscriptions
UNACKED_KEY = "unacked"  # kombu's Redis hash of the tasks workers have taken and not acknowledged


def outbox_figures(now: float) -> Iterator[Metric]:
    """Messages owed to a provider (queued or being sent), by channel type, and the age of the
    oldest; the business webhooks' outbox beside them."""
    depth = GaugeMetricFamily(
        "parley_outbox_depth", "Outbox rows not yet done or dead, by channel.", labels=["channel"]
    )
    age = GaugeMetricFamily(
        "parley_outbox_oldest_age_seconds",
        "Age of the oldest outbox row not yet done or dead, by channel (0: empty).",
        labels=["channel"],
    )
    waiting = OutboundDelivery.objects.filter(
        state__in=[OutboundDelivery.State.QUEUED, OutboundDelivery.State.IN_FLIGHT]
    )
    rows = waiting.values(channel=F("message__conversation__inbox__channel_type")).annotate(
        depth=Count("pk"), oldest=Min("created_at")
    )
    webhooks = WebhookDelivery.objects.filter(
        state__in=[WebhookDelivery.State.PENDING, WebhookDelivery.State.DELIVERING]
    ).aggregate(depth=Count("pk"), oldest=Min("created_at"))
    for row in [*rows, {"channel": BUSINESS_WEBHOOKS, **webhooks}]:
        depth.add_metric([row["channel"]], row["depth"])
        age.add_metric([row["channel"]], now - row["oldest"].timestamp() if row["oldest"] else 0.0)
    yield depth
    yield age


def receipt_figures(now: float) -> Iterator[Metric]:
    """Webhook receipts stored and not yet applied, and those failed for good, each counted up to
    COUNT_LIMIT (as /healthz does); the oldest pending one's age."""
    receipts = GaugeMetricFamily(
        "parley_webhook_receipts",
        f"Webhook receipts pending or failed for good, counted up to {COUNT_LIMIT}.",
        labels=["state"],
    )
    for state in (WebhookReceipt.State.PENDING, WebhookReceipt.State.FAILED):
        receipts.add_metric([state], WebhookReceipt.objects.filter(state=state)[:COUNT_LIMIT].count())
    oldest = (
        WebhookReceipt.objects.filter(state=WebhookReceipt.State.PENDING)
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    yield receipts
    yield GaugeMetricFamily(
        "parley_webhook_receipt_oldest_pending_age_seconds",
        "Age of the oldest webhook receipt still pending (0: none).",
        value=now - oldest.timestamp() if oldest else 0.0,
    )


def queue_figures() -> Iterator[Metric]:
    """Tasks waiting in each Celery queue of the Redis broker, and those taken but not acknowledged."""
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return  # the in-process broker of `make run`: nothing waits outside the process
    queues = {app.conf.task_default_queue, *(queue.name for queue in app.conf.task_queues or ())}
    lengths = GaugeMetricFamily(
        "parley_celery_queue_length", "Tasks waiting in a Celery queue of the broker.", labels=["queue"]
    )
    with app.connection_for_read() as broker:
        client = broker.default_channel.client
        for queue in sorted(queues):
            lengths.add_metric([queue], client.llen(queue))
        unacked = client.hlen(UNACKED_KEY)
    yield lengths
    yield GaugeMetricFamily(
        "parley_celery_unacked_tasks", "Tasks workers have taken and not yet acknowledged.", value=unacked
    )


class ScrapeTimeFigures(Collector):
    """Every figure above; one that cannot be read is left out and counted in parley_scrape_errors
    (the rest of the page still answers)."""

    def collect(self) -> Iterator[Metric]:
        now = time.time()
        failed = GaugeMetricFamily(
            "parley_scrape_errors",
            "Scrape-time figures that could not be read this scrape (see the process's log), by figure.",
            labels=["figure"],
        )
        for name, figures in (
            ("outbox", lambda: outbox_figures(now)),
            ("webhook_receipts", lambda: receipt_figures(now)),
            ("celery_queues", queue_figures),
        ):
            try:
                read = list(figures())
            except Exception:  # a figure's failure must not take the process's metrics with it
                logger.warning("metrics: could not read the %s figures", name, exc_info=True)
                failed.add_metric([name], 1)
                continue
            failed.add_metric([name], 0)
            yield from read
        yield failed
