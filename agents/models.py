"""The people who answer: agent profiles on Django's user, teams, inbox membership, canned replies."""

from django.conf import settings
from django.db import models

from conversations.languages import language_codes
from conversations.models import Conversation, Inbox, Message

# The languages the desk is translated into (locale/*/LC_MESSAGES: django.po and djangojs.po).
DESK_LANGUAGES = (("en", "English"), ("fr", "Français"), ("es", "Español"), ("pt", "Português"))


class AgentProfile(models.Model):
    class Availability(models.TextChoices):
        ONLINE = "online", "Online"
        AWAY = "away", "Away"
        OFFLINE = "offline", "Offline"

    class Role(models.TextChoices):
        AGENT = "agent", "Agent"
        SUPERVISOR = "supervisor", "Supervisor"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    display_name = models.CharField(max_length=120, blank=True)
    role = models.CharField(
        max_length=10,
        choices=Role.choices,
        default=Role.AGENT,
        help_text="A supervisor sees and works every inbox in the desk, the API and the sockets, and "
        "every agent's reports, as an administrator does; it gives no rights in this admin.",
    )
    avatar_url = models.URLField(blank=True)
    availability = models.CharField(max_length=8, choices=Availability.choices, default=Availability.OFFLINE)
    accepting = models.BooleanField(
        default=True,
        help_text="The agent's own switch: off shows them away (and routes nothing to them) while connected.",
    )
    live_capacity = models.PositiveSmallIntegerField(default=3, help_text="Concurrent live chat sessions.")
    messaging_capacity = models.PositiveSmallIntegerField(
        default=25, help_text="Concurrent messaging conversations."
    )
    skills = models.ManyToManyField("Skill", blank=True, related_name="agents")
    languages = models.CharField(
        max_length=100,
        blank=True,
        help_text="Languages the agent answers in, as codes: en, fr, pt. Inboxes that match languages "
        "use them.",
    )
    notify_sound = models.BooleanField(default=True, help_text="A chime for what needs the agent.")
    notify_browser = models.BooleanField(
        default=False, help_text="Browser notifications (the browser asks first)."
    )
    notify_mentions = models.BooleanField(
        default=False, help_text="A desktop notification when a note mentions the agent."
    )
    notify_assignments = models.BooleanField(
        default=False,
        help_text="A desktop notification when someone else (or routing) assigns the agent a conversation.",
    )
    notify_offer_answered = models.BooleanField(
        default=False,
        help_text="The agent answered the desk's offer of desktop notifications (it is shown until then).",
    )
    desk_language = models.CharField(
        max_length=8,
        blank=True,
        choices=DESK_LANGUAGES,
        help_text="The language the desk speaks to the agent; empty: their browser's, if the desk has it.",
    )
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_routed_at = models.DateTimeField(
        null=True, blank=True, help_text="When routing last gave this agent a conversation (round robin)."
    )

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_full_name() or self.user.get_username()

    def capacity(self, *, live: bool) -> int:
        return self.live_capacity if live else self.messaging_capacity

    @property
    def language_set(self) -> frozenset[str]:
        return frozenset(language_codes(self.languages, strict=False))

    def clean(self) -> None:
        self.languages = ", ".join(language_codes(self.languages))


class Skill(models.Model):
    """What a conversation may need of whoever answers it: billing, enterprise, refunds. Routing gives
    a conversation with a skill only to agents who have it (admins can always assign by hand)."""

    name = models.CharField(max_length=60, unique=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InboxMembership(models.Model):
    """Which agents work which inbox: the agent desk shows and routes only these."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="memberships")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inbox", "agent"], name="inbox_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} in {self.inbox}"


class CannedResponse(models.Model):
    """A saved reply, inserted in the composer by typing `/short_code`."""

    short_code = models.SlugField(max_length=50, unique=True)
    content = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["short_code"]

    def __str__(self) -> str:
        return f"/{self.short_code}"


class AgentConnection(models.Model):
    """One open desk tab. Presence is derived from these rows, so it is right across processes;
    rows whose heartbeat stopped (a crashed process) are swept by agents_presence_sweep."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_connections"
    )
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(db_index=True)
    last_active_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.agent} on {self.channel_name}"


class SavedFilter(models.Model):
    """A list view an agent named and keeps: the desk's filter form as a query string."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(max_length=60)
    query = models.CharField(
        max_length=500, help_text="The list's query string, e.g. view=all&status=open&label=3."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "name"], name="saved_filter_agent_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class RoutingDecision(models.Model):
    """Routing gave this conversation to this agent: what the fairness cap counts, and a fact for
    reports (assignments by hand are not routing's and are not recorded here)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    routed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["inbox", "agent", "routed_at"], name="routing_decision_window")]

    def __str__(self) -> str:
        return f"conversation {self.conversation_id} to {self.agent_id} at {self.routed_at:%Y-%m-%d %H:%M}"


class Mention(models.Model):
    """A private note named this agent (@username): their mentions inbox and its unread badge.
    One per agent and note; never the note's author, only agents who work its inbox."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")
    # The note, and through it the conversation (a merge moves notes to another conversation).
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "message"], name="mention_agent_message_unique")
        ]
        indexes = [
            models.Index(fields=["agent", "-created_at", "-id"], name="mention_inbox"),
            models.Index(fields=["agent"], condition=models.Q(read_at__isnull=True), name="mention_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} in note {self.message_id}"
