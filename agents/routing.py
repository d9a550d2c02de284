"""Routing: waiting conversations go to online agents with room, the moment one has room.

Among them (Rules.choose): a team's conversation goes to that team's members only; one that needs
a skill, to agents with that skill; in an inbox that matches languages, one whose customer speaks
a language some member speaks, to its speakers. An inbox's fairness cap lets an agent who got that
many in the window get more only when nobody else with room is under it. Event-driven
(conversations.registry.routing_due): a conversation starts waiting unassigned, or an
agent's load goes down (a resolve, an unassignment, a chat that ended), or an agent comes online.
Never a sweep.

Capacity is per mode, against the agent's load (agents.selectors.agent_loads, its one
definition). A live session always counts fully. A messaging conversation counts by what it waits
for (PARLEY_LOAD_WEIGHTS): fully while the customer waits for a reply, less while it waits on the
customer (replied to, or pending), least while snoozed.

Safe under concurrency. Routers of one inbox take turns (the inbox row, FOR NO KEY UPDATE), so
the oldest waits go first. The waiting conversations are locked with SKIP LOCKED: one a customer
is writing to right now is skipped, and its own commit routes it. The eligible agents' profiles
are locked in id order, and their loads are read after those locks, so routers of different
inboxes never fill one agent past capacity. Lock order (conversations/services/locks.py): inbox,
conversation, agent profile.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from conversations.languages import language_codes
from conversations.models import Conversation, Inbox, LiveSession
from conversations.services import conversation_assign
from conversations.settings_rows import active_inbox
from operations.metrics import ROUTING_WAIT

from .models import AgentProfile, InboxMembership, RoutingDecision, Team
from .selectors import agent_loads

Status = Conversation.Status
ROUTE_BATCH = 50


@dataclass
class Candidate:
    profile: AgentProfile
    load: float
    capacity: int
    skill_ids: frozenset[int] = frozenset()
    routed_in_window: int = 0  # conversations routing gave them in this inbox's fairness window

    @property
    def room(self) -> bool:
        return self.load + 1 <= self.capacity


@dataclass
class Rules:
    """What an inbox's routing matches on, beyond room: read once per routing pass."""

    routing: str
    teams: dict[int, set[int]]  # team id: its members' user ids
    languages_spoken: frozenset[str]  # by any member of the inbox, online or not (if it matches them)
    fairness_cap: int

    def choose(self, conversation: Conversation, candidates: list[Candidate]) -> Candidate | None:
        """The agent for `conversation`, or None: it waits for one.

        Only agents with room. A team's conversation goes to its members only, and one that needs
        a skill to agents with it. One whose customer speaks a language a member of the inbox
        speaks goes to its speakers only (to anyone when nobody in the inbox speaks it). Among
        those, agents under the fairness cap go first; past it, an agent still gets work rather
        than a customer waiting."""
        team = self.teams.get(conversation.team_id)
        language = conversation.contact.language if self.languages_spoken else ""
        matching = [
            candidate
            for candidate in candidates
            if candidate.room
            and (team is None or candidate.profile.user_id in team)
            and (conversation.skill_id is None or conversation.skill_id in candidate.skill_ids)
            and (language not in self.languages_spoken or language in candidate.profile.language_set)
        ]
        if self.fairness_cap:
            matching = [c for c in matching if c.routed_in_window < self.fairness_cap] or matching
        return _pick(self.routing, matching)


def route_inbox(inbox_id: int) -> list[tuple[int, int]]:
    """Give the inbox's waiting conversations, oldest wait first, to eligible agents while they
    have room (Rules.choose). Returns (conversation id, agent id) pairs."""
    inbox = active_inbox(inbox_id)
    if inbox is None or inbox.routing == Inbox.Routing.MANUAL:
        return []
    live = inbox.mode == Inbox.Mode.LIVE
    if not _someone_has_room(inbox.pk, live):
        return []
    with transaction.atomic():
        # One router per inbox at a time, so the oldest waits are served first: two routers that
        # each took their own window of waiting conversations would race for the same agents, and
        # the newer window could win. FOR NO KEY UPDATE: rows that merely point at the inbox
        # (a new message, a new conversation) are not held up.
        Inbox.objects.select_for_update(no_key=True).filter(pk=inbox.pk).values_list("pk").get()
        waiting = Conversation.objects.filter(
            inbox=inbox, assignee__isnull=True, status=Status.OPEN, bot_active=False
        )
        if live:
            waiting = waiting.filter(live_sessions__closed_at__isnull=True)
        if inbox.match_language:
            waiting = waiting.select_related("contact")  # the customer's language
        conversations = list(
            waiting.select_for_update(skip_locked=True, of=("self",)).order_by(
                F("waiting_since").asc(nulls_last=True), "pk"
            )[:ROUTE_BATCH]
        )
        if not conversations:
            return []
        now = timezone.now()
        candidates = _candidates(inbox, live, now, with_skills=any(c.skill_id for c in conversations))
        rules = Rules(
            routing=inbox.routing,
            teams=_team_members({c.team_id for c in conversations if c.team_id is not None}),
            languages_spoken=_languages_spoken(inbox.pk) if inbox.match_language else frozenset(),
            fairness_cap=inbox.fairness_cap,
        )
        decisions = []
        for conversation in conversations:
            chosen = rules.choose(conversation, candidates)
            if chosen is None:
                continue  # another conversation (another team's, skill or language) may still find someone
            conversation_assign(conversation=conversation, assignee=chosen.profile.user, actor=None)
            if conversation.waiting_since is not None:
                ROUTING_WAIT.labels(inbox.mode).observe((now - conversation.waiting_since).total_seconds())
            chosen.load += 1
            chosen.routed_in_window += 1
            chosen.profile.last_routed_at = now
            chosen.profile.save(update_fields=["last_routed_at"])
            decisions.append(
                RoutingDecision(
                    conversation=conversation, inbox=inbox, agent_id=chosen.profile.user_id, routed_at=now
                )
            )
        RoutingDecision.objects.bulk_create(decisions)
        return [(decision.conversation_id, decision.agent_id) for decision in decisions]


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
            assignee__in=gone,
            live_sessions__kind=LiveSession.Kind.LIVE,
            live_sessions__closed_at__isnull=True,
            live_sessions__agent_id=F("assignee_id"),
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
    return load + 1 <= profile.capacity(live=live)


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


def _someone_has_room(inbox_id: int, live: bool) -> bool:
    """Read without locks: is anyone eligible with room? When everyone is full (a backlog while
    messages keep arriving), routing stops here, two queries and no locks, instead of queueing
    every arriving message behind the agents' profile locks. Safe: whatever frees room next (a
    resolve, a chat that ends, an agent arriving) routes again after its own commit."""
    profiles = list(_eligible(inbox_id).only("user_id", "live_capacity", "messaging_capacity"))
    if not profiles:
        return False
    loads = agent_loads([profile.user_id for profile in profiles], live=live)
    return any(loads.get(profile.user_id, 0.0) + 1 <= profile.capacity(live=live) for profile in profiles)


def _candidates(inbox: Inbox, live: bool, now, *, with_skills: bool) -> list[Candidate]:
    """The eligible agents, their profiles locked (in id order), with their loads as committed now,
    their skills (when a conversation needs one) and what routing gave them in the fairness window."""
    profiles = list(_eligible(inbox.pk).select_for_update(of=("self",)).select_related("user").order_by("pk"))
    user_ids = [profile.user_id for profile in profiles]
    loads = agent_loads(user_ids, live=live)
    skills: dict[int, set[int]] = defaultdict(set)
    if with_skills:
        through = AgentProfile.skills.through.objects.filter(agentprofile_id__in=[p.pk for p in profiles])
        for profile_id, skill_id in through.values_list("agentprofile_id", "skill_id"):
            skills[profile_id].add(skill_id)
    routed: dict[int, int] = {}
    if inbox.fairness_cap:
        routed = dict(
            RoutingDecision.objects.filter(
                inbox=inbox, agent_id__in=user_ids, routed_at__gt=now - inbox.fairness_window
            )
            .values("agent_id")
            .annotate(count=Count("pk"))
            .values_list("agent_id", "count")
        )
    return [
        Candidate(
            profile=profile,
            load=loads.get(profile.user_id, 0.0),
            capacity=profile.capacity(live=live),
            skill_ids=frozenset(skills[profile.pk]),
            routed_in_window=routed.get(profile.user_id, 0),
        )
        for profile in profiles
    ]


def _languages_spoken(inbox_id: int) -> frozenset[str]:
    """Every language some member of the inbox answers in, whether online or not."""
    spoken: set[str] = set()
    for languages in AgentProfile.objects.filter(user__inbox_memberships__inbox_id=inbox_id).values_list(
        "languages", flat=True
    ):
        spoken.update(language_codes(languages, strict=False))
    return frozenset(spoken)


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
