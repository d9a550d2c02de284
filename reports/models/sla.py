"""Service-level policies and the clocks they run on conversations (docs/reports.md, "Service
levels")."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from conversations.models import Conversation, Inbox, Label


class SlaPolicy(models.Model):
    """Targets in business time for the conversations it applies to: those of an inbox, of a
    priority, with a label, or all (no criterion). The most specific active policy applies."""

    name = models.CharField(max_length=120)
    inbox = models.ForeignKey(Inbox, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    priority = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=Conversation.Priority.choices, help_text="Empty: any priority."
    )
    label = models.ForeignKey(Label, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    first_response = models.DurationField(null=True, blank=True, help_text="Business time, e.g. 00:30:00.")
    next_response = models.DurationField(null=True, blank=True)
    resolution = models.DurationField(null=True, blank=True)
    warn_before = models.DurationField(
        default=timedelta(minutes=15),
        help_text="How long before a deadline the conversation is about to breach: the desk tells its "
        "assignee, and automation rules on “SLA about to breach” run (e.g. 00:15:00).",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.first_response or self.next_response or self.resolution):
            raise ValidationError("Set at least one target: first response, next response or resolution.")
        for name in ("first_response", "next_response", "resolution"):
            target = getattr(self, name)
            if target is not None and target.total_seconds() <= 0:
                raise ValidationError({name: "A target is a positive length of time."})
        if self.warn_before is not None and self.warn_before.total_seconds() <= 0:
            raise ValidationError(
                {"warn_before": "The warning comes a positive length of time before a deadline."}
            )

    def target(self, name: str):
        return getattr(self, name)


class SlaClock(models.Model):
    """One target's clock on one conversation: started, due, and how it ended."""

    class Target(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        NEXT_RESPONSE = "next_response", "Next response"
        RESOLUTION = "resolution", "Resolution"

    class Outcome(models.TextChoices):
        RUNNING = "", "Running"
        MET = "met", "Met"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Stopped without a verdict"  # next response: resolved or pending

    conversation_id = models.BigIntegerField()
    inbox_id = models.BigIntegerField()
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="clocks")
    target = models.CharField(max_length=20, choices=Target.choices)
    cycle = models.PositiveIntegerField(
        default=0, help_text="The conversation's reopen count when it started."
    )
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep saw it pass its due time."
    )
    warned_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep saw it come within its policy's warn_before."
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(
                fields=["conversation_id"], condition=Q(stopped_at__isnull=True), name="sla_clock_running"
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(stopped_at__isnull=True, breached_at__isnull=True),
                name="sla_clock_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} of conversation {self.conversation_id}, due {self.due_at:%Y-%m-%d %H:%M}"
