"""Daily rollups: each day's totals per slice of the account, rebuilt from the facts whenever a
fact touches that day (reports.rollups). Reports read these, never the fact log."""

from django.db import models


class DailyFigure(models.Model):
    """One day's total of one figure for one slice: the account, an inbox, a channel, a team, a
    label or an agent. Averages are `seconds / count`; `peak` is the day's highest value."""

    class Dimension(models.TextChoices):
        ACCOUNT = "account", "Account"
        INBOX = "inbox", "Inbox"
        CHANNEL = "channel", "Channel"
        TEAM = "team", "Team"
        LABEL = "label", "Label"
        AGENT = "agent", "Agent"

    day = models.DateField()
    figure = models.CharField(max_length=40)
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    key = models.CharField(max_length=40, blank=True)  # the slice's id or channel type; "" for account
    count = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0)
    business_seconds = models.FloatField(default=0)
    peak = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "figure", "dimension", "key"], name="daily_figure_unique"),
        ]
        indexes = [
            # A page's read: the figures its columns name, of one dimension, over a period.
            models.Index(
                fields=["dimension", "figure", "day"],
                include=["key", "count", "seconds", "business_seconds", "peak"],
                name="daily_figure_read",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.figure} {self.dimension}:{self.key}"


class HandledDay(models.Model):
    """An agent wrote to the customer in this conversation on this day: "handled" over any range
    counts distinct conversations, which daily counts cannot add up to."""

    day = models.DateField()
    agent_id = models.BigIntegerField()
    conversation_id = models.BigIntegerField()
    inbox_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "agent_id", "conversation_id"], name="handled_day_unique"),
        ]
        indexes = [models.Index(fields=["day", "agent_id"], name="handled_day_agent")]

    def __str__(self) -> str:
        return f"{self.day} agent {self.agent_id} conversation {self.conversation_id}"


class DayCarry(models.Model):
    """What one day hands the next: the conversations open and assigned at its end and the agents
    not offline, so a day's load and presence are computed without replaying the whole log."""

    day = models.DateField(primary_key=True)
    # [conversation id, agent id, live inbox?] of each conversation open and assigned at the day's end
    conversations = models.JSONField(default=list)
    agents = models.JSONField(default=dict)  # agent id -> availability at the day's end (not offline)

    def __str__(self) -> str:
        return f"carry of {self.day}"


class RollupState(models.Model):
    """The newest fact the rollups have taken in (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_fact_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rollups took in facts up to {self.last_fact_id}"
