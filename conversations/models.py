"""Parley's core records: who the customers are, where they write, and what was said.

The conversation is a persistent thread; live sessions are synchronous stretches inside it.
Messages are numbered per conversation by `seq` (gap-free, assigned under the conversation's row
lock by conversations.services). Uniqueness that protects ingest lives in database constraints.
"""

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from .hours import schedule_from


def new_public_key() -> str:
    return secrets.token_urlsafe(18)


def new_identity_secret() -> str:
    return secrets.token_hex(32)


class ChannelType(models.TextChoices):
    WEB_WIDGET = "web_widget", "Web widget"
    SMS = "sms", "SMS (Twilio)"
    WHATSAPP = "whatsapp", "WhatsApp"
    MESSENGER = "messenger", "Facebook Messenger"
    INSTAGRAM = "instagram", "Instagram"
    TELEGRAM = "telegram", "Telegram"
    API = "api", "API"


class Contact(models.Model):
    """A customer. One contact may reach the business on many channels (see ContactIdentity)."""

    name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True, db_index=True, help_text="E.164, e.g. +14155550100")
    avatar_url = models.URLField(blank=True)
    external_id = models.CharField(
        max_length=255, blank=True, help_text="The business's own user id, for identified visitors."
    )
    language = models.CharField(
        max_length=3,
        blank=True,
        help_text="Primary language code (en, fr, pt): from the browser, the business's page or an agent.",
    )
    custom_attributes = models.JSONField(default=dict, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="contact_external_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"Contact #{self.pk}"


class Inbox(models.Model):
    """One channel the business listens on: a widget, an SMS number, a WhatsApp number, a page."""

    class Mode(models.TextChoices):
        LIVE = "live", "Live chat (sessions that end)"
        MESSAGING = "messaging", "Messaging (persistent threads)"

    class ReopenPolicy(models.TextChoices):
        REOPEN_LAST = "reopen_last", "Reopen the last conversation"
        START_NEW = "start_new", "Start a new conversation"

    class Routing(models.TextChoices):
        MANUAL = "manual", "Manual: agents take conversations themselves"
        LEAST_LOADED = "least_loaded", "Least loaded online agent with room"
        ROUND_ROBIN = "round_robin", "Round robin among online agents with room"

    class ReplyTime(models.TextChoices):
        MINUTES = "minutes", "In a few minutes"
        HOURS = "hours", "In a few hours"
        DAY = "day", "In a day"

    name = models.CharField(max_length=120)
    channel_type = models.CharField(max_length=20, choices=ChannelType.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.MESSAGING)
    config = models.JSONField(
        default=dict, blank=True, help_text="Per-channel settings: phone number, page id, API credentials."
    )
    public_key = models.CharField(
        max_length=40,
        unique=True,
        default=new_public_key,
        editable=False,
        help_text="Names the inbox in the widget tag and in webhook URLs; not a secret.",
    )
    session_timeout = models.DurationField(
        default=settings.PARLEY_DEFAULT_SESSION_TIMEOUT, help_text="Live mode: idle time that ends a session."
    )
    greeting = models.TextField(blank=True)
    auto_resolve_after = models.DurationField(
        null=True,
        blank=True,
        help_text="Resolve conversations pending on the customer this long after their last message "
        "(e.g. 3 days: '3 00:00:00'). Empty: never.",
    )
    auto_resolve_message = models.TextField(
        blank=True,
        default="We haven't heard back, so we're closing this conversation. Write any time and we'll "
        "pick it up again.",
        help_text="Sent to the customer when a pending conversation is resolved for them (empty: none).",
    )
    routing = models.CharField(
        max_length=12,
        choices=Routing.choices,
        default=Routing.LEAST_LOADED,
        help_text="Who gets a waiting conversation: only members who are online, available and under "
        "their capacity for this inbox's mode are considered.",
    )
    match_language = models.BooleanField(
        default=False,
        help_text="Route a customer to agents who speak their language, whenever a member of this inbox "
        "speaks it (otherwise to anyone).",
    )
    fairness_cap = models.PositiveSmallIntegerField(
        default=0,
        help_text="At most this many conversations routed to one agent per fairness window while another "
        "agent with room is under it (0: no cap). Spreads work; never leaves a customer waiting.",
    )
    fairness_window = models.DurationField(
        default=timedelta(hours=1), help_text="The window the fairness cap counts over, e.g. '01:00:00'."
    )
    reopen_policy = models.CharField(
        max_length=12, choices=ReopenPolicy.choices, default=ReopenPolicy.REOPEN_LAST
    )
    identity_secret = models.CharField(
        max_length=64,
        default=new_identity_secret,
        help_text="Signs the business's user ids (HMAC-SHA256) so a logged-in user is the same contact "
        "on every device. Keep it on the business's server, never in a page.",
    )
    require_identity = models.BooleanField(
        default=False, help_text="Refuse widget sessions that do not carry a verified user id."
    )
    allowed_origins = models.TextField(
        blank=True,
        help_text="Sites that may embed the widget, one origin per line (https://shop.example.com). "
        "Empty allows any site.",
    )
    timezone = models.CharField(
        max_length=64, default="UTC", help_text="The business's time zone for its hours, e.g. Europe/Paris."
    )
    business_hours = models.JSONField(
        default=dict,
        blank=True,
        help_text='Opening hours per weekday in the inbox\'s time zone: {"mon": [["09:00", "17:30"]], ...}. '
        "A day left out is closed; an empty schedule means always open.",
    )
    holidays = models.JSONField(
        default=list, blank=True, help_text='Closed dates in the inbox\'s time zone: ["2026-12-25", ...].'
    )
    reply_time = models.CharField(
        max_length=12,
        choices=ReplyTime.choices,
        default=ReplyTime.MINUTES,
        help_text="What the widget promises while no agent is online during business hours.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "inboxes"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The admin refuses hours the widget could not read (conversations.hours)."""
        schedule_from(timezone=self.timezone, business_hours=self.business_hours, holidays=self.holidays)

    def allows_origin(self, origin: str | None) -> bool:
        """Browsers always send Origin; a request without one is a native app, where cross-site
        hijacking (what the allow-list prevents) cannot happen."""
        allowed = self.allowed_origin_list
        return not allowed or origin is None or origin.rstrip("/").lower() in allowed

    @property
    def allowed_origin_list(self) -> list[str]:
        return [
            line.strip().rstrip("/").lower() for line in self.allowed_origins.splitlines() if line.strip()
        ]


class ContactIdentity(models.Model):
    """How a contact is known on one inbox: phone number, page-scoped id, WhatsApp id, visitor id."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="identities")
    source_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "contact identities"
        constraints = [
            models.UniqueConstraint(fields=["inbox", "source_id"], name="identity_inbox_source_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} on {self.inbox}"


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

    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="conversations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
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
    last_seq = models.PositiveBigIntegerField(default=0, help_text="seq of the newest message.")
    last_activity_at = models.DateTimeField()
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text="Since when the customer has waited for a reply; empty when not."
    )
    contact_last_read_seq = models.PositiveBigIntegerField(default=0)
    contact_notified_seq = models.PositiveBigIntegerField(
        default=0, help_text="Replies up to this seq were sent to the customer by email while they were away."
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
            models.Index(  # routing: an inbox's unassigned open conversations, longest waiting first
                fields=["inbox", "waiting_since", "id"],
                condition=Q(assignee__isnull=True, status="open"),
                name="conv_routing_queue",
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

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
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
