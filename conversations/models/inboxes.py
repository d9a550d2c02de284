"""Inboxes: the channels the business listens on, with how each routes, greets, keeps hours and
checks who is writing. `Inbox` stays one model (one row per channel); its field groups follow the
admin's fieldsets: behaviour and routing, business hours (conversations.hours), widget security."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models

from ..hours import schedule_from


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
    EMAIL = "email", "Email"


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
