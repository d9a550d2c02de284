"""Live sessions: the synchronous stretches inside a conversation, and the queue a live inbox
keeps of them."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .conversations import Conversation
from .inboxes import Inbox


class LiveSession(models.Model):
    """A synchronous stretch of a conversation, closed for a reason.

    In a live inbox it is the live chat itself: the customer's message opens it, it waits in the
    queue, and its end resolves the conversation. In a messaging inbox it only records, for the
    metrics, a stretch where both sides were there: it opens when an agent answers a customer who
    is present, and its end changes nothing else.
    """

    class Kind(models.TextChoices):
        LIVE = "live", "Live chat"
        MESSAGING = "messaging", "Both present in a messaging conversation"

    class CloseReason(models.TextChoices):
        CUSTOMER_LEFT = "customer_left", "Customer left"
        CUSTOMER_ENDED = "customer_ended", "Ended by the customer"
        INACTIVITY = "inactivity", "Inactivity"
        AGENT_ENDED = "agent_ended", "Ended by the agent"
        RESOLVED = "resolved", "Conversation resolved"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="live_sessions")
    # Copied from the conversation, so an inbox's queue is one index range (live_session_queue).
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LIVE, db_default=Kind.LIVE)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField()
    assigned_at = models.DateTimeField(
        null=True, blank=True, help_text="When an agent took it (queue wait ends)."
    )
    first_response_at = models.DateTimeField(
        null=True, blank=True, help_text="The agent's first reply in it."
    )
    last_activity_at = models.DateTimeField()
    customer_left_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set while no client of the customer is connected; cleared when one is.",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"], condition=Q(closed_at__isnull=True), name="live_session_one_open"
            ),
        ]
        indexes = [
            models.Index(
                fields=["last_activity_at"],
                condition=Q(closed_at__isnull=True),
                name="live_session_open_idle",
            ),
            models.Index(
                fields=["customer_left_at"],
                condition=Q(closed_at__isnull=True, customer_left_at__isnull=False),
                name="live_session_open_left",
            ),
            models.Index(  # an inbox's queue, in order
                fields=["inbox", "opened_at", "id"],
                condition=Q(closed_at__isnull=True, agent__isnull=True, kind="live"),
                name="live_session_queue",
            ),
            models.Index(  # an inbox's recent queue waits, for the estimate
                fields=["inbox", "-assigned_at"],
                condition=Q(assigned_at__isnull=False, kind="live"),
                name="live_session_taken",
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of conversation {self.conversation_id}"
