"""Messages and their attachments: what was said in a conversation, numbered by `seq` (gap-free,
assigned under the conversation's row lock by conversations.services)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from .conversations import Conversation
from .inboxes import Inbox


class Message(models.Model):
    class SenderKind(models.TextChoices):
        CONTACT = "contact", "Contact"
        AGENT = "agent", "Agent"
        BOT = "bot", "Bot"
        SYSTEM = "system", "System"

    class ContentType(models.TextChoices):
        TEXT = "text", "Text"
        IMAGE = "image", "Image"
        FILE = "file", "File"
        GIF = "gif", "GIF"
        SYSTEM = "system", "System"

    class DeliveryStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        FAILED = "failed", "Failed"

    # Indexed by message_conversation_seq_unique, which leads with it: no index of its own to write.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    # Denormalised from the conversation so ids can be unique per inbox in the database.
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField()
    sender_kind = models.CharField(max_length=8, choices=SenderKind.choices)
    sender_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_private = models.BooleanField(
        default=False, help_text="For agents only (notes, activity); never sent to the customer."
    )
    content_type = models.CharField(max_length=8, choices=ContentType.choices, default=ContentType.TEXT)
    body = models.TextField(blank=True)
    # NULL, not "", when absent: the per-inbox unique constraints below must ignore absent ids.
    client_message_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    provider_message_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    delivery_status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.SENT
    )
    provider_error_code = models.CharField(max_length=32, blank=True)
    provider_error = models.TextField(blank=True, help_text="The provider's reason, in words.")
    template = models.JSONField(
        null=True,
        blank=True,
        help_text='An approved template sent as this message: {"name", "language", "parameters"}; '
        "body holds its rendered text.",
    )
    actions = models.JSONField(
        default=list,
        blank=True,
        help_text='Replies offered with the message, as [{"id", "title"}]: buttons where the channel has '
        "them, numbered lines where not. The customer answers with a message; only the server reads it.",
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        # By the column, not the relation: "conversation" would join and sort by its ordering.
        ordering = ["conversation_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_conversation_seq_unique"),
            models.UniqueConstraint(
                fields=["inbox", "client_message_id"],
                condition=Q(client_message_id__isnull=False),
                name="message_inbox_client_id_unique",
            ),
            models.UniqueConstraint(
                fields=["inbox", "provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="message_inbox_provider_id_unique",
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="message_seq_positive"),
            models.CheckConstraint(
                condition=Q(is_private=False) | Q(sender_kind__in=["agent", "system"]),
                name="message_private_only_agents_or_system",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq} {self.sender_kind}"

    @property
    def is_outgoing(self) -> bool:
        return self.sender_kind != self.SenderKind.CONTACT and not self.is_private


def attachment_path(attachment: "Attachment", filename: str) -> str:
    return f"attachments/{attachment.message.conversation_id}/{secrets.token_hex(8)}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, blank=True)
    remote_url = models.URLField(max_length=1000, blank=True, help_text="Provider media not yet downloaded.")
    file_name = models.CharField(max_length=255, blank=True)
    mime_type = models.CharField(max_length=100)
    byte_size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file_name or self.remote_url
