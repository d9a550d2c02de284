"""Provider delivery: the outbox row for each outgoing message and the record of every try."""

from django.db import models
from django.db.models import Q

from .messages import Message


class OutboundDelivery(models.Model):
    """The durable outbox: written in the message's transaction, worked off by a Celery task.

    `state` is the job's lifecycle (the message's own delivery_status is what customers' devices
    reported). A row in QUEUED whose `next_attempt_at` has passed is picked up again by the
    requeue sweep, so a lost broker message never strands a reply.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        IN_FLIGHT = "in_flight", "Sending"
        DONE = "done", "Accepted by the provider"
        DEAD = "dead", "Failed for good"

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="outbound")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    resend_confirmed = models.BooleanField(
        default=False,
        help_text="An agent chose to send again although the provider may have the message already.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "outbound deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["queued", "in_flight"]),
                name="outbound_due",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery of message {self.message_id} ({self.state})"


class DeliveryAttempt(models.Model):
    """One try at handing a message to its provider, written before the call and finished after.

    An attempt left unfinished means the worker died (or lost the answer) mid-send: the provider
    may have accepted. The next try asks the provider first where it can, and never sends again
    blindly (DESIGN.md invariant 5).
    """

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted by the provider"
        FOUND = "found", "Found at the provider after the answer was lost"
        NOT_SENT = "not_sent", "Not at the provider: safe to send again"
        RETRY = "retry", "Refused for now (will retry)"
        REFUSED = "refused", "Refused for good"
        UNKNOWN = "unknown", "Unknown: the answer was lost"

    delivery = models.ForeignKey(OutboundDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of message {self.delivery_id}: {self.outcome or 'in flight'}"

    @property
    def duration(self):
        return None if self.finished_at is None else self.finished_at - self.started_at
