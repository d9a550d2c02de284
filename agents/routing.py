"""Routing: waiting conversations go to online agents with room, the moment one has room.

A conversation moved to a team goes to that team's members only. Event-driven
(conversations.registry.routing_due): a conversation starts waiting unassigned, or an
agent's load goes down (a resolve, an unassignment, a chat that ended), or an agent comes online.
Never a sweep.

Capacity is per mode. A live session always counts fully. A messaging conversation counts by
what it waits for (PARLEY_LOAD_WEIGHTS): fully while the customer waits for a reply, less while
it waits on the customer (replied to, or pending), least while snoozed.

Safe under concurrency. The waiting conversations are locked with SKIP LOCKED, so two routers
never pick the same one. The eligible agents' profiles are locked in id order, and their loads
are read after those locks, so two routers never fill one agent past capacity. Lock order, as
everywhere: conversation, then agent profile.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from conversations.models import Conversation, Inbox, LiveSession
from conversations.services import conversation_assign

from .models import AgentProfile, InboxMembership, Team

Status = Conversation.Status
ROUTE_BATCH = 50


@dataclass
class Candidate:
    profile: AgentProfile
    load: float
    capacity: int

    @property
    def room(self) -> bool:
        return self.load + 1 <= self.capacity


def route_inbox(inbox_id: int) -> list[tuple[int, int]]:
    """Give the inbox's waiting conversations, oldest wait first, to eligible agents while they
    have room. Returns (conversation id, agent id) pairs."""
    inbox = Inbox.objects.filter(pk=inbox_id, is_active=True).exclude(routing=Inbox.Routing.MANUAL).first()
    if inbox is None:
        return []
    live = inbox.mode == Inbox.Mode.LIVE
    with transaction.atomic():
        if not _eligible(inbox.pk).exists():  # nobody to route to: one query, nothing locked
            return []
        waiting = Conversation.objects.filter(inbox=inbox, assignee__isnull=True, status=Status.OPEN)
        if live:
            waiting = waiting.filter(live_sessions__closed_at__isnull=True)
        conversations = list(
            waiting.select_for_update(skip_locked=True, of=("self",)).order_by(
                F("waiting_since").asc(nulls_last=True), "pk"
            )[:ROUTE_BATCH]
        )
        if not conversations:
            return []
        candidates = _candidates(inbox.pk, live)
        teams = _team_members({c.team_id for c in conversations if c.team_id is not None})
        routed = []
        for conversation in conversations:
            team = teams.get(conversation.team_id)  # a team's conversation goes to its members only
            chosen = _pick(
                inbox.routing,
                [c for c in candidates if c.room and (team is None or c.profile.user_id in team)],
            )
            if chosen is None:
                continue  # another conversation (another team's) may still find someone
            conversation_assign(conversation=conversation, assignee=chosen.profile.user, actor=None)
            chosen.load += 1
            chosen.profile.last_routed_at = timezone.now()
            chosen.profile.save(update_fields=["last_routed_at"])
            routed.append((conversation.pk, chosen.profile.user_id))
        return routed


def route_for_agent(agent_id: int) -> list[tuple[int, int]]:
    """The agent has room (or came online): route the inboxes they work, each in turn."""
    inbox_ids = InboxMembership.objects.filter(agent_id=agent_id).values_list("inbox_id", flat=True)
    routed = []
    for inbox_id in sorted(inbox_ids):
        routed += route_inbox(inbox_id)
    return routed


def live_chats_of_agents_gone(*, now=None, batch_size: int = ROUTE_BATCH) -> int:
    """Beat job: live chats whose agent has been offline longer than PARLEY_LIVE_AGENT_GRACE go
    back to the queue (and so to routing, at once): a customer in a live chat never waits on an
    agent who left. Bounded; re-checked under each conversation's lock by the assignment service.
    Returns how many were released."""
    now = now or timezone.now()
    gone = AgentProfile.objects.filter(
        availability=AgentProfile.Availability.OFFLINE,
        last_seen_at__lt=now - settings.PARLEY_LIVE_AGENT_GRACE,
    ).values("user_id")
    stranded = list(
        Conversation.objects.filter(
            assignee__in=gone, live_sessions__closed_at__isnull=True, live_sessions__agent_id=F("assignee_id")
        )
        .order_by("pk")
        .distinct()[:batch_size]
    )
    for conversation in stranded:
        conversation_assign(conversation=conversation, assignee=None, actor=None)
    return len(stranded)


def keeps_assignee(inbox_id: int, agent_id: int, resolved_at) -> bool:
    """Sticky assignment: a customer who comes back within PARLEY_STICKY_FOR goes back to the agent
    who had them, if that agent is online, available, still works the inbox and has room."""
    if resolved_at is None or timezone.now() - resolved_at > settings.PARLEY_STICKY_FOR:
        return False
    profile = _eligible(inbox_id).filter(user_id=agent_id).select_related("user").first()
    if profile is None:
        return False
    live = Inbox.objects.filter(pk=inbox_id, mode=Inbox.Mode.LIVE).exists()
    load = agent_loads([agent_id], live=live).get(agent_id, 0.0)
    return load + 1 <= (profile.live_capacity if live else profile.messaging_capacity)


def _team_members(team_ids: set[int]) -> dict[int, set[int]]:
    members: dict[int, set[int]] = {team_id: set() for team_id in team_ids}
    for team_id, user_id in Team.members.through.objects.filter(team_id__in=team_ids).values_list(
        "team_id", "user_id"
    ):
        members[team_id].add(user_id)
    return members


def _eligible(inbox_id: int):
    """Profiles of members who are online, available and active."""
    return AgentProfile.objects.filter(
        availability=AgentProfile.Availability.ONLINE,
        accepting=True,
        user__is_active=True,
        user__inbox_memberships__inbox_id=inbox_id,
    )


def _candidates(inbox_id: int, live: bool) -> list[Candidate]:
    """The eligible agents, their profiles locked (in id order), with their loads as committed now."""
    profiles = list(_eligible(inbox_id).select_for_update(of=("self",)).select_related("user").order_by("pk"))
    loads = agent_loads([profile.user_id for profile in profiles], live=live)
    return [
        Candidate(
            profile=profile,
            load=loads.get(profile.user_id, 0.0),
            capacity=profile.live_capacity if live else profile.messaging_capacity,
        )
        for profile in profiles
    ]


def agent_loads(agent_ids: list[int], *, live: bool) -> dict[int, float]:
    """Each agent's load in one mode: open live sessions, or weighted messaging conversations.
    One query."""
    if not agent_ids:
        return {}
    if live:
        rows = (
            LiveSession.objects.filter(agent_id__in=agent_ids, closed_at__isnull=True)
            .values("agent_id")
            .annotate(count=Count("pk"))
        )
        return {row["agent_id"]: float(row["count"]) for row in rows}
    weights = settings.PARLEY_LOAD_WEIGHTS
    rows = (
        Conversation.objects.filter(assignee_id__in=agent_ids, inbox__mode=Inbox.Mode.MESSAGING)
        .exclude(status=Status.RESOLVED)
        .values("assignee_id")
        .annotate(
            customer_waiting=Count("pk", filter=Q(status=Status.OPEN, waiting_since__isnull=False)),
            on_customer=Count(
                "pk", filter=Q(status=Status.PENDING) | Q(status=Status.OPEN, waiting_since__isnull=True)
            ),
            snoozed=Count("pk", filter=Q(status=Status.SNOOZED)),
        )
    )
    return {
        row["assignee_id"]: row["customer_waiting"] * weights["customer_waiting"]
        + row["on_customer"] * weights["on_customer"]
        + row["snoozed"] * weights["snoozed"]
        for row in rows
    }


def _pick(routing: str, candidates: list[Candidate]) -> Candidate | None:
    if not candidates:
        return None
    never = timezone.now().replace(year=1)
    if routing == Inbox.Routing.ROUND_ROBIN:
        return min(candidates, key=lambda c: (c.profile.last_routed_at or never, c.profile.pk))
    return min(
        candidates,
        key=lambda c: (c.load / max(c.capacity, 1), c.profile.last_routed_at or never, c.profile.pk),
    )
