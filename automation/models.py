"""Rules (an event, conditions, ordered actions), their log, and macros (an agent's ordered
actions). Conditions and actions are rows edited as forms, never JSON; what their fields mean and
which values they accept: conditions.py and actions.py."""

from django.conf import settings
from django.db import models

from conversations.models import Conversation


class Trigger(models.TextChoices):
    CONVERSATION_CREATED = "conversation_created", "Conversation created"
    MESSAGE_RECEIVED = "message_received", "Message received from the customer"
    CONVERSATION_UPDATED = "conversation_updated", "Conversation updated (labels, priority, assignee, skill)"
    CONVERSATION_RESOLVED = "conversation_resolved", "Conversation resolved"
    SLA_WARNING = "sla_warning", "Service level about to breach"
    SLA_BREACHED = "sla_breached", "Service level breached"


class ConditionField(models.TextChoices):
    INBOX = "inbox", "Inbox"
    CHANNEL = "channel", "Channel"
    CONTACT_ATTRIBUTE = "contact_attribute", "Contact attribute"
    MESSAGE_TEXT = "message_text", "Message text"
    BUSINESS_HOURS = "business_hours", "Business hours"
    LABEL = "label", "Label"
    PRIORITY = "priority", "Priority"
    LANGUAGE = "language", "Contact language"
    ASSIGNEE = "assignee", "Assignee"


class Operator(models.TextChoices):
    IS = "is", "is"
    IS_NOT = "is_not", "is not"
    CONTAINS = "contains", "contains"
    NOT_CONTAINS = "not_contains", "does not contain"
    MATCHES = "matches", "matches (regular expression)"
    AT_LEAST = "at_least", "is at least"


class ActionKind(models.TextChoices):
    ASSIGN_AGENT = "assign_agent", "Assign to agent (username)"
    ASSIGN_TEAM = "assign_team", "Move to team (name)"
    ADD_LABEL = "add_label", "Add label"
    REMOVE_LABEL = "remove_label", "Remove label"
    SET_PRIORITY = "set_priority", "Set priority"
    SNOOZE = "snooze", "Snooze for (minutes)"
    RESOLVE = "resolve", "Resolve"
    SEND_MESSAGE = "send_message", "Send a message"
    SEND_CANNED = "send_canned", "Send a saved reply (short code)"
    ADD_NOTE = "add_note", "Add a private note"
    SET_SKILL = "set_skill", "Require a skill (name)"
    SEND_WEBHOOK = "send_webhook", "Send a webhook (its topic)"


class Rule(models.Model):
    name = models.CharField(max_length=120)
    trigger = models.CharField(max_length=32, choices=Trigger.choices)
    position = models.PositiveIntegerField(default=0, help_text="Rules run in this order, lowest first.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class RuleCondition(models.Model):
    """All of a rule's conditions must hold."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(max_length=24, choices=ConditionField.choices)
    attribute = models.CharField(
        max_length=100, blank=True, help_text="For a contact attribute: its name (e.g. plan)."
    )
    operator = models.CharField(max_length=16, choices=Operator.choices, default=Operator.IS)
    value = models.CharField(max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.get_operator_display()} {self.value}"


class RuleAction(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=24, choices=ActionKind.choices)
    argument = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.argument}"


class RuleRun(models.Model):
    """What a rule did to a conversation (or why it did nothing): the desk shows these."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed (nothing changed)"
        STOPPED = "stopped", "Stopped by the loop guard"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="rule_runs")
    rule = models.ForeignKey(Rule, on_delete=models.SET_NULL, null=True, related_name="runs")
    rule_name = models.CharField(max_length=120)  # kept when the rule is deleted
    trigger = models.CharField(max_length=32, choices=Trigger.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    actions = models.JSONField(default=list, help_text="What it did, one line per action.")
    detail = models.CharField(max_length=500, blank=True)
    depth = models.PositiveSmallIntegerField(default=0)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "-at"], name="automation_run_conv_at")]

    def __str__(self) -> str:
        return f"{self.rule_name} on #{self.conversation_id}: {self.outcome}"


class Macro(models.Model):
    """An agent's named sequence of actions; shared (no owner) or personal."""

    name = models.CharField(max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        help_text="Empty: shared with every agent.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class MacroAction(models.Model):
    macro = models.ForeignKey(Macro, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=24, choices=ActionKind.choices)
    argument = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.argument}"
