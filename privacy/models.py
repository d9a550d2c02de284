"""That a contact was erased, and when: the contact row stays (its conversations and messages
stay as empty rows so the reports keep their counts), so this row is what tells an erased
contact from one who simply gave no name. And each inbox's retention policy, with the marks the
retention sweep leaves on the conversations it anonymised (privacy.retention)."""

from django.core.validators import MinValueValidator
from django.db import models

from conversations.models import Contact, Conversation, Inbox


class ContactErasure(models.Model):
    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="erasure")
    erased_at = models.DateTimeField()
    conversations = models.PositiveIntegerField(default=0, help_text="Conversations emptied.")
    messages = models.PositiveIntegerField(default=0, help_text="Messages blanked.")
    files = models.PositiveIntegerField(default=0, help_text="Attachment files deleted.")

    def __str__(self) -> str:
        return f"Contact #{self.contact_id} erased at {self.erased_at:%Y-%m-%d %H:%M}"


class RetentionPolicy(models.Model):
    """How long an inbox keeps its resolved conversations (privacy.retention sweeps them)."""

    class Mode(models.TextChoices):
        ANONYMISE = "anonymise", "Anonymise (keep empty rows: reports and history keep their counts)"
        DELETE = "delete", "Delete (remove the conversations and their messages)"

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="retention_policy")
    days = models.PositiveIntegerField(
        validators=[MinValueValidator(1)],
        help_text="Resolved conversations quiet for longer than this many days are swept.",
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.ANONYMISE)

    class Meta:
        verbose_name_plural = "retention policies"
        constraints = [
            models.CheckConstraint(condition=models.Q(days__gte=1), name="retention_days_positive")
        ]

    def __str__(self) -> str:
        return f"{self.inbox}: {self.mode} after {self.days} days"


class AnonymisedConversation(models.Model):
    """That retention emptied a conversation as it was when resolved at `resolved_at`: the sweep
    passes it by until it is resolved again (a customer wrote meanwhile: new words to sweep)."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    resolved_at = models.DateTimeField()
    anonymised_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Conversation #{self.conversation_id} anonymised at {self.anonymised_at:%Y-%m-%d %H:%M}"
