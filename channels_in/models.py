"""What providers told us, kept before we answer them (DESIGN.md invariant 6)."""

from django.db import models
from django.db.models import Q

from conversations.models import Inbox


class WebhookReceipt(models.Model):
    """One event of a verified webhook, stored before the provider gets its 200, unique on the
    provider's own id for it, so a replayed webhook finds its receipt and creates nothing. Turned
    into messages and delivery reports in the same transaction that marks it applied.

    Every receipt ends in a final state: APPLIED, or FAILED with its reason in `last_error`
    (channels_in/receipts.py decides when). `processed_at` is when it got there, and is empty
    exactly while it is PENDING (a constraint keeps the two in step).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=20)
    key = models.CharField(max_length=300, help_text="The provider's id of the event: message or status.")
    event = models.JSONField(help_text="The event, normalised by the adapter.")
    raw_body = models.TextField(blank=True, help_text="The webhook exactly as it arrived (UTF-8).")
    received_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    processed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was applied, or failed for good."
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Tries since it was stored or applied again.")
    last_error = models.TextField(blank=True, help_text="Why the last try failed.")
    note = models.TextField(
        blank=True, help_text="What Parley had to change to store the event (the provider signed it as sent)."
    )

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["inbox", "key"], name="webhook_receipt_inbox_key_unique"),
            models.CheckConstraint(
                condition=Q(state="pending", processed_at__isnull=True)
                | (~Q(state="pending") & Q(processed_at__isnull=False)),
                name="webhook_receipt_processed_at_when_final",
            ),
        ]
        indexes = [
            # The sweep's queue, and /healthz's counts: both read only these rows.
            models.Index(fields=["received_at"], condition=Q(state="pending"), name="receipt_pending"),
            models.Index(fields=["received_at"], condition=Q(state="failed"), name="receipt_failed"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.key}"


class MailboxCursor(models.Model):
    """How far Parley has read an email inbox's IMAP folder: the folder's UIDVALIDITY and the
    highest UID stored. Advanced in the transaction that stores the mails it covers, under this
    row's lock, so two pollers never fetch the same mails and a poller that dies stores nothing
    and moves nothing (channels_in/email/imap.py)."""

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="+", primary_key=True)
    folder = models.CharField(max_length=200, default="INBOX")
    uid_validity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, help_text="Why the last poll failed; empty when it worked.")

    def __str__(self) -> str:
        return f"{self.inbox_id} {self.folder} {self.uid_validity}:{self.last_uid}"


class MailSenderWindow(models.Model):
    """How many mails one address sent one email inbox since its window began: past the limit
    (settings.PARLEY_EMAIL_SENDER_LIMIT within PARLEY_EMAIL_SENDER_WINDOW_SECONDS) the rest are
    stored but open nothing and draw no answer (channels_in/email/storms.py). Counted under this
    row's lock, in the transaction that stores the mail."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=320)
    window_started_at = models.DateTimeField()
    mails = models.PositiveIntegerField(default=0, help_text="Mails counted since the window began.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "address"], name="mail_sender_window_inbox_address_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inbox_id} {self.address}: {self.mails} since {self.window_started_at:%H:%M}"
