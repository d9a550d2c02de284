"""A business's event subscriptions, the deliveries they are owed, and every attempt at one.

Rows are written by services.py and subscriber.py only; the admin lists them and calls services.
"""

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from conversations.event_catalogue import EventType as Event
from conversations.models import Inbox

PING = Event.WEBHOOK_PING  # the admin's test event; never produced by the core


class EventType(models.TextChoices):
    """The events a business may subscribe to: those the event catalogue names for webhook
    subscribers. Read markers, queue positions, mentions and identity changes stay inside Parley."""

    MESSAGE_CREATED = Event.MESSAGE_CREATED, "Message created (public messages only)"
    MESSAGE_UPDATED = Event.MESSAGE_UPDATED, "Message delivery status changed"
    CONVERSATION_CREATED = Event.CONVERSATION_CREATED, "Conversation created"
    CONVERSATION_STATUS_CHANGED = Event.CONVERSATION_STATUS_CHANGED, "Conversation status changed"
    CONVERSATION_ASSIGNED = Event.CONVERSATION_ASSIGNED, "Conversation assigned"
    CONVERSATION_UPDATED = Event.CONVERSATION_UPDATED, "Conversation priority, labels or skill changed"
    CONVERSATION_HANDED_OFF = Event.CONVERSATION_HANDED_OFF, "Answer bot handed the conversation to people"
    CONVERSATION_MERGED = Event.CONVERSATION_MERGED, "Conversation merged into another"
    AUTOMATION_WEBHOOK = Event.AUTOMATION_WEBHOOK, "An automation rule sent a webhook"


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookSubscription(models.Model):
    """Where a business wants to hear about events, and which ones.

    Changed through services.py (or the admin, which tells services.subscriptions_changed), so
    every process's subscription index learns of it.
    """

    name = models.CharField(max_length=120)
    url = models.URLField(max_length=2000, help_text="Parley POSTs each event here as signed JSON.")
    secret = models.CharField(
        max_length=100,
        default=new_secret,
        help_text="Signs every delivery (Parley-Signature). Rotate it from the list's actions.",
    )
    previous_secret = models.CharField(
        max_length=100, blank=True, help_text="Still signed with, alongside the new one, until it expires."
    )
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    event_types = models.JSONField(default=list, help_text="Event types to deliver.")
    inboxes = models.ManyToManyField(
        Inbox,
        blank=True,
        related_name="+",
        help_text="Only events of these inboxes; none selected means every inbox.",
    )
    is_active = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failed attempt since the last delivered one."
    )
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Deliveries failed for good in a row (reset by one that is delivered)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = sorted(set(self.event_types or []) - set(EventType.values))
        if unknown:
            raise ValidationError({"event_types": f"Unknown event types: {', '.join(unknown)}."})
        if not self.event_types:
            raise ValidationError({"event_types": "Choose at least one event type."})


class WebhookDelivery(models.Model):
    """One event owed to one subscription: the payload as it was when the event happened, and
    where its delivery stands. The primary key is the delivery id businesses deduplicate on
    (the Parley-Delivery header): a replay sends the same one again.

    `next_attempt_at` is when a pending delivery is due, or, while delivering, when the sending
    worker's lease runs out (after which the sweep hands it to another worker).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERING = "delivering", "Delivering"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed for good"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No database constraint: the row is inserted inside the core's transaction, and a
    # subscription deleted concurrently must never make a customer's message fail to commit.
    # The ORM still cascades deletes; the task drops a delivery whose subscription is gone.
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False
    )
    event_type = models.CharField(max_length=40)
    conversation_id = models.BigIntegerField(null=True, blank=True, help_text="For finding deliveries.")
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    first_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="Start of the retry window (a replay starts a new one)."
    )
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "delivering"]),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_by_sub"),
            models.Index(fields=["-created_at"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.pk}"


class WebhookAttempt(models.Model):
    """One POST of a delivery, written before the request and finished after. An attempt left
    unfinished means the worker died mid-request: the business may have received it, which is
    why every delivery carries its id for deduplication."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, help_text="The first kilobyte of the answer.")
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
