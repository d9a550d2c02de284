"""Presence derived from desk tabs: online, away after inactivity, offline; stale tabs swept."""

from agents import presence
from agents.models import AgentConnection, AgentProfile
from tests.factories.agents import AgentProfileFactory

Availability = AgentProfile.Availability


def availability(user) -> str:
    return AgentProfile.objects.get(user=user).availability


def test_online_while_any_tab_is_open_offline_after_the_last(db):
    agent = AgentProfileFactory().user
    assert presence.agent_desk_connected(agent=agent, channel_name="tab-1") == Availability.ONLINE
    presence.agent_desk_connected(agent=agent, channel_name="tab-2")
    assert presence.agent_desk_disconnected(agent_id=agent.pk, channel_name="tab-1") == Availability.ONLINE
    assert presence.agent_desk_disconnected(agent_id=agent.pk, channel_name="tab-2") == Availability.OFFLINE
    assert availability(agent) == Availability.OFFLINE


def test_away_after_inactivity_and_online_again_on_activity(db, clock):
    agent = AgentProfileFactory().user
    presence.agent_desk_connected(agent=agent, channel_name="tab")

    clock.advance(seconds=presence.AWAY_AFTER.total_seconds() - 1)  # the tab stays open, unused
    assert presence.agent_desk_heartbeat(agent=agent, channel_name="tab", active=False) == Availability.ONLINE
    clock.advance(seconds=2)
    assert presence.agent_desk_heartbeat(agent=agent, channel_name="tab", active=False) == Availability.AWAY
    assert availability(agent) == Availability.AWAY
    clock.advance(seconds=25)
    assert presence.agent_desk_heartbeat(agent=agent, channel_name="tab", active=True) == Availability.ONLINE


def test_the_sweep_turns_agents_of_a_crashed_process_offline(db, clock):
    crashed, alive = AgentProfileFactory().user, AgentProfileFactory().user
    presence.agent_desk_connected(agent=crashed, channel_name="dead-process-tab")
    presence.agent_desk_connected(agent=alive, channel_name="live-tab")

    # Only the live tab keeps sending heartbeats; the crashed one was last seen at connection.
    clock.advance(seconds=presence.STALE_AFTER.total_seconds() - 1)
    presence.agent_desk_heartbeat(agent=alive, channel_name="live-tab", active=True)
    assert presence.agents_presence_sweep() == 0
    assert availability(crashed) == Availability.ONLINE
    clock.advance(seconds=2)
    presence.agent_desk_heartbeat(agent=alive, channel_name="live-tab", active=True)
    assert presence.agents_presence_sweep() == 1
    assert (availability(crashed), availability(alive)) == (Availability.OFFLINE, Availability.ONLINE)
    assert not AgentConnection.objects.filter(agent=crashed).exists()
    assert AgentConnection.objects.filter(agent=alive).exists()
