"""The answer bot of an inbox, and what happened each time it had a conversation (an episode):
the facts deflection, return rates and cost per contact are counted from."""

from django.db import models
from django.db.models import Q

from conversations.models import Contact, Conversation, Inbox
from knowledge.models import Portal


class AnswerBot(models.Model):
    """One inbox's bot: off until enabled, answering from a portal's published articles."""

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="answer_bot")
    enabled = models.BooleanField(default=False)
    portal = models.ForeignKey(
        Portal,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The help center it answers from; empty: the first portal linked to the inbox.",
    )
    name = models.CharField(max_length=60, default="Parley bot", help_text="How it signs its messages.")
    confidence_threshold = models.FloatField(
        default=0.0,
        help_text="Below this score it does not guess and hands off; 0 uses the shipped threshold "
        "(PARLEY_BOT_THRESHOLD), measured in docs/benchmarks.md.",
    )
    offer_choice_up_front = models.BooleanField(
        default=False, help_text="Ask first whether the customer wants an answer now or a person."
    )
    person_words = models.TextField(
        blank=True,
        help_text="More words that mean 'a person, please', one per line (the inbox's languages are "
        "built in).",
    )
    generative = models.BooleanField(
        default=False,
        help_text="Write answers from the retrieved articles with the chat model configured in settings "
        "(PARLEY_GENERATIVE_BASE_URL); off: quote the best articles.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} on {self.inbox}"


class Episode(models.Model):
    """One stretch of a conversation with the bot, from the customer's first question to its outcome."""

    class State(models.TextChoices):
        CHOOSING = "choosing", "Asked: an answer now, or a person?"
        LISTENING = "listening", "Waiting for the customer's question"
        ANSWERED = "answered", "Offered articles, asked whether they solved it"
        COLLECTING = "collecting", "Out of hours: asked for an email or phone number before handing off"
        ENDED = "ended", "Ended"

    class Outcome(models.TextChoices):
        RESOLVED_CONFIRMED = "resolved_confirmed", "Resolved by the bot (confirmed)"
        RESOLVED_ASSUMED = "resolved_assumed", "Resolved by the bot (no reply in 24 hours)"
        HANDED_OFF = "handed_off", "Handed off to a person"
        ABANDONED = "abandoned", "Abandoned"

    class HandoffReason(models.TextChoices):
        ASKED_FOR_PERSON = "asked_for_person", "The customer asked for a person"
        NO_ANSWER = "no_answer", "No article answered it with enough confidence"
        NOT_COVERED = "not_covered", "The generated answer found the articles do not cover it"
        NOT_SOLVED = "not_solved", "The customer said the answer did not solve it"
        PERSON_TOOK_IT = "person_took_it", "An agent took the conversation"
        BOT_TURNED_OFF = "bot_turned_off", "The inbox's bot was turned off"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="bot_episodes")
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    channel_type = models.CharField(max_length=20)
    state = models.CharField(max_length=12, choices=State.choices)
    question = models.TextField(blank=True, help_text="The customer's question, in their words.")
    offered_article_ids = models.JSONField(default=list, blank=True)
    top_score = models.FloatField(null=True, blank=True, help_text="The best article's score.")
    handled_seq = models.PositiveBigIntegerField(
        default=0, help_text="The bot has read the customer's messages up to this seq."
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    handoff_reason = models.CharField(max_length=20, choices=HandoffReason.choices, blank=True)
    started_at = models.DateTimeField()
    last_turn_at = models.DateTimeField(help_text="When the customer or the bot last spoke.")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["inbox", "started_at"], name="episode_inbox_started"),
            models.Index(
                fields=["last_turn_at"], condition=Q(ended_at__isnull=True), name="episode_open_by_turn"
            ),
            models.Index(fields=["contact", "started_at"], name="episode_contact_started"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(ended_at__isnull=True),
                name="episode_one_open_per_conversation",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, outcome="") | Q(ended_at__isnull=False) & ~Q(outcome=""),
                name="episode_outcome_when_ended",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id} {self.outcome or self.state}"
