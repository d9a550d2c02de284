"""The live floor: who is waiting now, who is working and how loaded, and which conversations are
breaching or about to breach their service level. Read from the live tables (not the rollups), in
a fixed number of queries however many conversations and agents there are."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone

from agents.models import AgentProfile
from agents.selectors import BREACHING_SOON
from conversations.models import Conversation, Inbox

AT_RISK_SHOWN = 50


@dataclass(frozen=True)
class InboxFloor:
    inbox: Inbox
    waiting: int
    longest_since: datetime | None
    open: int


@dataclass(frozen=True)
class AgentFloor:
    profile: AgentProfile
    live: int
    messaging: int

    @property
    def live_share(self) -> float:
        return self.live / self.profile.live_capacity if self.profile.live_capacity else 0.0

    @property
    def messaging_share(self) -> float:
        return self.messaging / self.profile.messaging_capacity if self.profile.messaging_capacity else 0.0


@dataclass(frozen=True)
class Floor:
    now: datetime
    inboxes: list[InboxFloor]
    agents: list[AgentFloor]
    at_risk: list[Conversation]

    @property
    def waiting(self) -> int:
        return sum(inbox.waiting for inbox in self.inboxes)

    @property
    def longest_since(self) -> datetime | None:
        return min((i.longest_since for i in self.inboxes if i.longest_since), default=None)


def floor(now: datetime | None = None) -> Floor:
    now = now or timezone.now()
    live_status = Q(status=Conversation.Status.OPEN)
    waiting = live_status & Q(waiting_since__isnull=False, bot_active=False)
    per_inbox = {
        row["inbox_id"]: row
        for row in Conversation.objects.filter(live_status)
        .values("inbox_id")
        .annotate(
            open=Count("id"),
            waiting=Count("id", filter=waiting),
            longest=Min("waiting_since", filter=waiting),
        )
    }
    inboxes = [
        InboxFloor(
            inbox,
            per_inbox.get(inbox.pk, {}).get("waiting", 0),
            per_inbox.get(inbox.pk, {}).get("longest"),
            per_inbox.get(inbox.pk, {}).get("open", 0),
        )
        for inbox in Inbox.objects.filter(is_active=True).order_by("name")
    ]
    loads: dict[int, dict[str, int]] = {}
    for row in (
        Conversation.objects.filter(live_status, assignee__isnull=False)
        .values("assignee_id", "inbox__mode")
        .annotate(carried=Count("id"))
    ):
        loads.setdefault(row["assignee_id"], {})[row["inbox__mode"]] = row["carried"]
    profiles = (
        AgentProfile.objects.select_related("user")
        .filter(user__is_active=True)
        .exclude(availability=AgentProfile.Availability.OFFLINE)
        .order_by("display_name")
    )
    agents = [
        AgentFloor(
            profile,
            loads.get(profile.user_id, {}).get(Inbox.Mode.LIVE, 0),
            loads.get(profile.user_id, {}).get(Inbox.Mode.MESSAGING, 0),
        )
        for profile in profiles
    ]
    at_risk = list(
        Conversation.objects.filter(sla_due_at__lte=now + BREACHING_SOON)
        .exclude(status=Conversation.Status.RESOLVED)
        .select_related("contact", "inbox", "assignee__agent_profile")
        .order_by("sla_due_at", "id")[:AT_RISK_SHOWN]
    )
    return Floor(now, inboxes, agents, at_risk)
