"""Message templates a provider approved (WhatsApp), synced per inbox, and how one is rendered."""

import re

from django.db import models

from .inboxes import Inbox


class MessageTemplate(models.Model):
    """A provider-approved message template (WhatsApp), synced from the business account: the
    only thing such a channel lets a business send once the customer's window has closed."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=20)
    category = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, help_text="The provider's review status, e.g. APPROVED.")
    body = models.TextField(help_text="The body text, with {{1}}, {{2}}… where parameters go.")
    components = models.JSONField(default=list, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["inbox_id", "name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "name", "language"], name="template_inbox_name_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def is_approved(self) -> bool:
        return self.status.upper() == "APPROVED"

    @property
    def parameter_count(self) -> int:
        return len(set(PLACEHOLDER.findall(self.body)))

    def render(self, parameters: list[str]) -> str:
        return PLACEHOLDER.sub(lambda match: parameters[int(match.group(1)) - 1], self.body)


PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
