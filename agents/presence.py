"""Agent presence from desk connections: online while a tab is connected and in use, away after
AWAY_AFTER without activity, offline when the last tab closes (or its heartbeat stops)."""

from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import OuterRef, Q
from django.utils import timezone

from conversations import events, registry
from conversations.event_catalogue import EventType

from .models import AgentConnection, AgentProfile
from .selectors import seeing_every_inbox

AWAY_AFTER = timedelta(minutes=5)
STALE_AFTER = timedelta(seconds=90)  # three missed 25 s heartbeats
DESK_GROUP = "desk"
Availability = AgentProfile.Availability


def agent_group(agent_id: int) -> str:
    return f"agent.{agent_id}"


def agent_desk_connected(*, agent: AbstractBaseUser, channel_name: str) -> str:
    now = timezone.now()
    AgentConnection.objects.update_or_create(
        channel_name=channel_name, defaults={"agent": agent, "last_seen_at": now, "last_active_at": now}
    )
    return _settle_availability(agent.pk)


def agent_desk_heartbeat(*, agent: AbstractBaseUser, channel_name: str, active: bool) -> str:
    now = timezone.now()
    fields = {"last_seen_at": now, **({"last_active_at": now} if active else {})}
    if not AgentConnection.objects.filter(channel_name=channel_name).update(**fields):
        AgentConnection.objects.create(
            agent=agent, channel_name=channel_name, last_seen_at=now, last_active_at=now
        )
    return _settle_availability(agent.pk)


def agent_desk_disconnected(*, agent_id: int, channel_name: str) -> str:
    AgentConnection.objects.filter(channel_name=channel_name).delete()
    return _settle_availability(agent_id, seen_now=True)  # the grace for their live chats starts now


def agent_set_accepting(*, agent: AbstractBaseUser, accepting: bool) -> str:
    """The agent's availability switch: off, they show away even with the desk open and in use."""
    AgentProfile.objects.update_or_create(user=agent, defaults={"accepting": accepting})
    return _settle_availability(agent.pk)


def agents_presence_sweep() -> int:
    """Beat job: forget tabs whose heartbeat stopped, and settle those agents' availability."""
    stale = AgentConnection.objects.filter(last_seen_at__lt=timezone.now() - STALE_AFTER)
    agent_ids = set(stale.values_list("agent_id", flat=True))
    stale.delete()
    idle = AgentProfile.objects.exclude(availability=Availability.OFFLINE).filter(
        last_seen_at__lt=timezone.now() - STALE_AFTER
    )
    agent_ids |= set(idle.values_list("user_id", flat=True))
    for agent_id in agent_ids:
        _settle_availability(agent_id)
    return len(agent_ids)


def _settle_availability(agent_id: int, *, seen_now: bool = False) -> str:
    """Derive availability from the agent's live tabs and announce a change after commit. An agent
    who stays connected, or whose tab just closed (`seen_now`), was seen now; one whose tabs went
    stale was last seen at their last heartbeat."""
    now = timezone.now()
    with transaction.atomic():
        profile, _ = AgentProfile.objects.select_for_update().get_or_create(user_id=agent_id)
        tabs = AgentConnection.objects.filter(agent_id=agent_id, last_seen_at__gte=now - STALE_AFTER)
        if not tabs.exists():
            availability = Availability.OFFLINE
        elif profile.accepting and tabs.filter(last_active_at__gte=now - AWAY_AFTER).exists():
            availability = Availability.ONLINE
        else:
            availability = Availability.AWAY
        if seen_now or availability != Availability.OFFLINE:
            profile.last_seen_at = now
        changed = availability != profile.availability
        profile.availability = availability
        profile.save(update_fields=["availability", "last_seen_at"])
        if changed and availability == Availability.ONLINE:
            registry.routing_due(agent_id=agent_id)  # waiting work can come to them now
        if changed:
            events.publish_on_commit(
                {"type": EventType.AGENT_PRESENCE, "agent_id": agent_id, "availability": availability},
                groups=[DESK_GROUP],
            )
    return availability


def inbox_has_someone_online(inbox_id: int) -> bool:
    """Registered with the core (conversations.registry) when the app is ready."""
    online = AgentProfile.objects.filter(availability=Availability.ONLINE, user__is_active=True)
    works_it = seeing_every_inbox(OuterRef("user_id")) | Q(user__inbox_memberships__inbox_id=inbox_id)
    return online.filter(works_it).exists()
