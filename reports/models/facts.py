"""The fact log: what happened, when, to which conversation and agent. Append-only.

Facts hold ids and scalars, never a customer's words: a conversation or contact deleted (or a
person erased) leaves the counts standing. No foreign keys for the same reason. Postgres refuses
an UPDATE or DELETE of a fact (migration 0001's trigger).
"""

from django.db import models


class Fact(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", "Conversation created"
        MESSAGE = "message", "Message"  # data: sender (contact, agent or bot)
        STATUS = "status", "Status changed"  # data: status, previous
        ASSIGNED = "assigned", "Assigned"  # agent_id: the new assignee, or none
        HANDED_OFF = "handed_off", "Handed off by the bot"  # data: reason
        UPDATED = "updated", "Priority or labels changed"  # data: priority, labels
        SESSION_ENDED = "session_ended", "Live session ended"  # data: session, reason
        PRESENCE = "presence", "Agent presence"  # agent_id; data: availability
        CSAT_SENT = "csat_sent", "Satisfaction survey sent"  # agent_id, team_id: credited with the resolve
        CSAT_ANSWERED = "csat_answered", "Satisfaction survey answered"  # data: rating (1-5)
        SLA_MET = "sla_met", "Service-level target met"  # data: target (first_response, ...)
        SLA_MISSED = "sla_missed", "Service-level target missed"  # data: target

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    conversation_id = models.BigIntegerField(null=True, blank=True)
    inbox_id = models.BigIntegerField(null=True, blank=True)
    agent_id = models.BigIntegerField(null=True, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["conversation_id", "at", "id"], name="fact_conversation_time"),
            models.Index(fields=["at"], name="fact_time"),
            models.Index(
                fields=["agent_id", "at"], condition=models.Q(kind="presence"), name="fact_presence"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M:%S}"
