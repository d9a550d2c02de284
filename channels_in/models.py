"""What providers told us, kept before we answer them (DESIGN.md invariant 6)."""

from django.db import models
from django.db.models import Q

from conversations.models import Inbox


class WebhookReceipt(models.Model):
    """One event of a verified webhook, stored before the provider gets its 200, unique on the
    provider's own id for it, so a replayed webhook finds its receipt and creates nothing. Turned
    into messages and delivery reports in the same transaction that marks it processed."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=20)
    key = models.CharField(max_length=300, help_text="The provider's id of the event: message or status.")
    event = models.JSONField(help_text="The event, normalised by the adapter.")
    raw_body = models.TextField(blank=True, help_text="The webhook exactly as it arrived (UTF-8).")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["inbox", "key"], name="webhook_receipt_inbox_key_unique"),
        ]
        indexes = [
            models.Index(
                fields=["received_at"], condition=Q(processed_at__isnull=True), name="receipt_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.key}"
