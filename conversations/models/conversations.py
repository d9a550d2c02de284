"""Conversations: the persistent thread with a contact on one inbox, its labels, and how far each
agent has read it. `last_seq` and the read positions count the thread's messages (messages.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .contacts import Contact
from .inboxes import Inbox


class Label(models.Model):
    name = models.SlugField(max_length=50, unique=True)
    description = models.CharField(max_length=255, blank=True)
    color = models.CharField(max_length=7, default="#6b7280", help_text="CSS hex colour, e.g. #2563eb")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PENDING = "pending", "Pending (waiting on the customer)"
        SNOOZED = "snoozed", "Snoozed"
        RESOLVED = "resolved", "Resolved"

    class Priority(models.IntegerChoices):
        NONE = 0, "None"
        LOW = 1, "Low"
        MEDIUM = 2, "Medium"
        HIGH = 3, "High"
        URGENT = 4, "Urgent"

    # No index of their own on inbox, contact and assignee: each leads a composite index of Meta's
    # that serves the same lookups. Most writes to a conversation (every message moves its
    # last_activity_at) rewrite every one of its index entries, so each index costs each message.
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="conversations", db_index=False)
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="conversations", db_index=False
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
        db_index=False,
    )
    # A string reference, not an import: the core never imports the agents app.
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    skill = models.ForeignKey(
        "agents.Skill",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        help_text="Routing gives it only to agents with this skill.",
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NONE)
    labels = models.ManyToManyField(Label, blank=True, related_name="conversations")
    snoozed_until = models.DateTimeField(null=True, blank=True)
    bot_active = models.BooleanField(
        default=False,
        help_text="The answer bot has it: routing leaves it alone until the bot hands it off or an agent "
        "takes it. Only the server changes this (conversations.services.bot).",
    )
    last_seq = models.PositiveBigIntegerField(default=0, help_text="seq of the newest message.")
    last_activity_at = models.DateTimeField()
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text="Since when the customer has waited for a reply; empty when not."
    )
    contact_last_read_seq = models.PositiveBigIntegerField(default=0)
    contact_notified_seq = models.PositiveBigIntegerField(
        default=0, help_text="Replies up to this seq were sent to the customer by email while they were away."
    )
    sla_due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The nearest deadline of its running service-level clocks (set by the reports app).",
    )
    first_reply_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Facts for reports, kept as things happen (docs/architecture.md, "Metrics").
    reopen_count = models.PositiveIntegerField(default=0)
    sync_replies = models.PositiveIntegerField(
        default=0, help_text="Public replies sent while the customer was there (live)."
    )
    async_replies = models.PositiveIntegerField(
        default=0, help_text="Public replies sent while the customer was away (messaging)."
    )
    # Set once an agent merged this conversation into another (services/merging.py): its messages
    # live on there, and whatever still names this one is sent on to it.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_activity_at"]
        indexes = [
            models.Index(fields=["inbox", "status", "-last_activity_at"], name="conv_inbox_status_activity"),
            models.Index(fields=["assignee", "status", "-last_activity_at"], name="conv_assignee_status_act"),
            models.Index(
                fields=["contact", "inbox", "-last_activity_at"], name="conv_contact_inbox_activity"
            ),
            models.Index(fields=["snoozed_until"], condition=Q(status="snoozed"), name="conv_snoozed_until"),
            # The desk's lists across several inboxes, in their keyset order (bench/desk.py).
            models.Index(fields=["-last_activity_at", "-id"], name="conv_activity_keyset"),
            models.Index(fields=["-priority", "-last_activity_at", "-id"], name="conv_priority_keyset"),
            models.Index(
                fields=["waiting_since", "id"],
                condition=Q(waiting_since__isnull=False),
                name="conv_waiting_keyset",
            ),
            models.Index(  # the desk's "breaching soon" filter and its countdowns
                fields=["sla_due_at", "id"], condition=Q(sla_due_at__isnull=False), name="conv_sla_due"
            ),
            models.Index(  # routing: an inbox's unassigned open conversations, longest waiting first
                fields=["inbox", "waiting_since", "id"],
                condition=Q(assignee__isnull=True, status="open", bot_active=False),
                name="conv_routing_queue_human",
            ),
            models.Index(  # what was merged into a conversation (few rows: a partial index)
                fields=["merged_into"], condition=Q(merged_into__isnull=False), name="conv_merged_into"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="snoozed") | Q(snoozed_until__isnull=False),
                name="conv_snoozed_has_until",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.contact} on {self.inbox}"


class ReadMarker(models.Model):
    """How far one agent has read a conversation; unread counts are last_seq minus this."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="read_markers")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_seq = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "agent"], name="read_marker_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} read {self.conversation_id} to #{self.last_read_seq}"
