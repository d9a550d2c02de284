"""Satisfaction (CSAT): each inbox's survey settings, and one survey per resolve.

A survey belongs to one resolve of one conversation (docs/reports.md, "Satisfaction"): it is
queued inside the resolve's transaction, sent after commit, and takes the first rating the
customer gives while the conversation stays resolved by that resolve. It holds the customer's
words (the comment), so it goes with its conversation; the facts it writes (csat_sent,
csat_answered) hold ids and the rating only, and stay.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from conversations.models import Conversation, Inbox, Message, MessageTemplate

from .facts import Fact


class CsatSettings(models.Model):
    """Whether an inbox asks for a rating on resolve, and in which words (the business's language:
    the widget's own buttons and labels follow the visitor's)."""

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="csat_settings")
    enabled = models.BooleanField(default=False, help_text="Ask the customer for a rating on every resolve.")
    question = models.CharField(max_length=500, default="How would you rate the help you received?")
    number_hint = models.CharField(
        max_length=200,
        default="Reply with a number from 1 (poor) to 5 (excellent).",
        help_text="Added under the question where the channel cannot show five buttons (SMS, WhatsApp).",
    )
    ask_comment = models.BooleanField(
        default=True,
        help_text="After the rating, invite a comment: the customer's next message is taken as one.",
    )
    comment_prompt = models.CharField(
        max_length=500, default="Thank you! Anything you would like to add? Just write it here."
    )
    no_comment_title = models.CharField(
        max_length=20, default="No, thanks", help_text="The button that declines the comment (20 characters)."
    )
    thanks = models.CharField(
        max_length=500,
        default="Thank you for your rating!",
        help_text="Said after the rating when no comment is invited.",
    )
    whatsapp_template = models.ForeignKey(
        MessageTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="WhatsApp only: the approved template (without parameters) that asks for the rating once "
        "the customer's 24-hour window has closed. None: no survey then.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "satisfaction survey settings"
        verbose_name_plural = "satisfaction survey settings"

    def __str__(self) -> str:
        return f"CSAT of {self.inbox}"

    def clean(self) -> None:
        template = self.whatsapp_template
        if template is None:
            return
        if template.inbox_id != self.inbox_id:
            raise ValidationError({"whatsapp_template": "Pick one of this inbox's templates."})
        if not template.is_approved or template.parameter_count:
            raise ValidationError(
                {"whatsapp_template": "Pick an approved template without parameters ({{1}}…)."}
            )


class CsatSurvey(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent, not answered"
        ANSWERED = "answered", "Answered"
        SKIPPED = "skipped", "Not sent"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    resolved_at = models.DateTimeField(help_text="The resolve this survey follows (one survey per resolve).")
    # Credited with the resolution: the assignee at resolve time and the conversation's team then.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    skip_reason = models.CharField(max_length=500, blank=True, help_text="Why it was not sent.")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The question."
    )
    offered = models.JSONField(
        default=list,
        blank=True,
        help_text='What counts as each rating when tapped: [{"id": "csat:5", "title": …}], the buttons '
        "the question offered (or its template's).",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    comment_until = models.DateTimeField(
        null=True, blank=True, help_text="Until when the customer's next message is taken as the comment."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "satisfaction survey"
        ordering = ["-resolved_at"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "resolved_at"], name="csat_one_per_resolve"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="csat_rating_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(state="queued"), name="csat_queued"),
            models.Index(fields=["inbox", "-resolved_at"], name="csat_inbox_time"),
        ]

    def __str__(self) -> str:
        return f"survey of #{self.conversation_id} at {self.resolved_at:%Y-%m-%d %H:%M}"

    def fact(self, kind: str, at, **data) -> Fact:
        """A fact about this survey (sent, answered), credited as the resolution it asks about."""
        return Fact(
            kind=kind,
            at=at,
            conversation_id=self.conversation_id,
            inbox_id=self.inbox_id,
            agent_id=self.agent_id,
            team_id=self.team_id,
            data=data,
        )
