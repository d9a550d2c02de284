"""Routing through the real services and real commits: who gets a waiting conversation, capacity
per mode with its weights, the backlog draining the moment an agent has room, and exactly
`capacity` assignments when many conversations arrive at once (real Postgres, real threads)."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from agents import routing
from agents.models import AgentProfile
from agents.presence import (
    agent_desk_connected,
    agent_desk_disconnected,
    agent_desk_heartbeat,
    agent_set_accepting,
)
from conversations import services
from conversations.models import Conversation, LiveSession
from tests.backends import ON_POSTGRES
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, TeamFactory
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)


def online_agent(inbox, name, **capacity):
    agent = AgentProfileFactory(display_name=name, **capacity).user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    agent_desk_connected(agent=agent, channel_name=f"desk.{name}")
    return agent


def write(inbox, body="Hello?") -> Conversation:
    return Conversation.objects.get(
        pk=services.message_receive(inbox=inbox, contact=ContactFactory(), body=body).conversation_id
    )


def still_at_their_desks(*agents) -> None:
    """The heartbeat each open desk tab sends: after the clock moves on, they are still online."""
    for agent in agents:
        agent_desk_heartbeat(
            agent=agent, channel_name=f"desk.{agent.agent_profile.display_name}", active=True
        )


def assignee_of(conversation) -> str | None:
    conversation.refresh_from_db()
    return conversation.assignee.agent_profile.display_name if conversation.assignee else None


@pytest.fixture
def inbox():
    return InboxFactory(name="Support")


def test_a_new_conversation_goes_to_the_least_loaded_online_agent(inbox):
    ana, ben = online_agent(inbox, "Ana"), online_agent(inbox, "Ben")
    for _ in range(2):
        services.conversation_assign(conversation=write(inbox), assignee=ana, actor=None)
    assert assignee_of(write(inbox)) == "Ben"
    assert AgentProfile.objects.get(user=ben).last_routed_at is not None


def test_nobody_online_means_it_waits_and_the_backlog_drains_when_an_agent_arrives(inbox):
    ana = AgentProfileFactory(display_name="Ana", messaging_capacity=2).user
    InboxMembershipFactory(inbox=inbox, agent=ana)
    first, second, third = write(inbox, "1"), write(inbox, "2"), write(inbox, "3")
    assert [assignee_of(c) for c in (first, second, third)] == [None, None, None]

    agent_desk_connected(agent=ana, channel_name="desk.ana")  # online: the oldest waits go first
    assert [assignee_of(c) for c in (first, second, third)] == ["Ana", "Ana", None]

    services.conversation_resolve(conversation=first, actor=ana)  # room again: the next one comes
    assert assignee_of(third) == "Ana"


def test_an_agent_who_switches_to_away_or_goes_offline_gets_nothing(inbox):
    ana = online_agent(inbox, "Ana")
    agent_set_accepting(agent=ana, accepting=False)
    assert assignee_of(write(inbox)) is None
    agent_set_accepting(agent=ana, accepting=True)  # back: what waited is theirs
    assert Conversation.objects.filter(assignee=ana).count() == 1
    agent_desk_disconnected(agent_id=ana.pk, channel_name="desk.Ana")
    assert assignee_of(write(inbox)) is None


def test_conversations_waiting_on_the_customer_or_snoozed_weigh_less(inbox, settings, clock):
    settings.PARLEY_LOAD_WEIGHTS = {"customer_waiting": 1.0, "on_customer": 0.5, "snoozed": 0.25}
    ana = online_agent(inbox, "Ana", messaging_capacity=2)
    first, second = write(inbox), write(inbox)
    assert {assignee_of(first), assignee_of(second)} == {"Ana"}
    third = write(inbox)
    assert assignee_of(third) is None  # full: two customers wait for her

    services.conversation_mark_pending(conversation=first, actor=ana)
    assert routing.agent_loads([ana.pk], live=False) == {ana.pk: 1.5}
    assert assignee_of(third) is None  # 1.5 + 1 does not fit in 2
    services.conversation_snooze(conversation=second, until=clock.now() + timedelta(hours=1), actor=ana)
    assert assignee_of(third) == "Ana"  # 0.5 + 0.25 + 1 fits: it came at once
    assert routing.agent_loads([ana.pk], live=False) == {ana.pk: 1.75}


def test_round_robin_takes_turns(inbox):
    inbox.routing = "round_robin"
    inbox.save()
    online_agent(inbox, "Ana")
    online_agent(inbox, "Ben")
    assert [assignee_of(write(inbox)) for _ in range(4)] == ["Ana", "Ben", "Ana", "Ben"]


def test_a_manual_inbox_is_never_routed(inbox):
    inbox.routing = "manual"
    inbox.save()
    online_agent(inbox, "Ana")
    assert assignee_of(write(inbox)) is None


def test_live_capacity_counts_open_sessions_and_an_ended_chat_frees_a_slot():
    live = InboxFactory(name="Live", mode="live")
    ana = online_agent(live, "Ana", live_capacity=1)
    first, second = write(live), write(live)
    assert (assignee_of(first), assignee_of(second)) == ("Ana", None)
    assert LiveSession.objects.get(conversation=first).agent == ana

    services.live_session_end(conversation=first, reason=LiveSession.CloseReason.AGENT_ENDED, actor=ana)
    assert assignee_of(second) == "Ana"


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks and SKIP LOCKED are Postgres's")
def test_fifty_conversations_at_once_for_twenty_five_slots_assign_exactly_twenty_five(inbox):
    agents = [online_agent(inbox, f"Agent{n}", messaging_capacity=5) for n in range(5)]
    contacts = [ContactFactory() for _ in range(50)]
    start = threading.Barrier(10)
    errors = []

    def customers(batch):
        try:
            start.wait()
            for contact in batch:
                services.message_receive(inbox=inbox, contact=contact, body="Hi, anyone?")
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=customers, args=(contacts[n::10],)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Conversation.objects.filter(inbox=inbox).count() == 50
    per_agent = [Conversation.objects.filter(assignee=agent).count() for agent in agents]
    assert per_agent == [5, 5, 5, 5, 5]
    waiting = Conversation.objects.filter(inbox=inbox, assignee__isnull=True)
    assert waiting.count() == 25

    oldest_waiting = waiting.order_by("waiting_since", "pk").first()
    services.conversation_resolve(
        conversation=Conversation.objects.filter(assignee=agents[0]).first(), actor=None
    )
    assert assignee_of(oldest_waiting) == "Agent0"  # the first to have waited, the moment there is room


def test_a_customer_back_two_days_later_goes_to_the_same_agent_if_they_can_take_it(inbox, clock):
    ana, ben = online_agent(inbox, "Ana"), online_agent(inbox, "Ben")
    contact = ContactFactory()
    conversation = services.message_receive(inbox=inbox, contact=contact, body="Hi").conversation
    services.conversation_assign(conversation=conversation, assignee=ana, actor=ana)
    services.conversation_resolve(conversation=conversation, actor=ana)

    clock.advance(days=2)
    still_at_their_desks(ana, ben)
    for _ in range(3):  # Ana is now the busier one: least-loaded routing alone would pick Ben
        services.conversation_assign(conversation=write(inbox), assignee=ana, actor=ana)

    services.message_receive(inbox=inbox, contact=contact, body="It broke again")
    assert assignee_of(conversation) == "Ana"
    assert not Conversation.objects.filter(assignee=ben).exists()


def test_a_returning_customer_is_routed_anew_when_their_agent_is_away_or_it_was_long_ago(
    inbox, settings, clock
):
    settings.PARLEY_STICKY_FOR = timedelta(days=7)
    ana, ben = online_agent(inbox, "Ana"), online_agent(inbox, "Ben")
    long_ago, just_within, away = ContactFactory(), ContactFactory(), ContactFactory()

    def served_by_ana(contact) -> Conversation:
        conversation = services.message_receive(inbox=inbox, contact=contact, body="Hi").conversation
        services.conversation_assign(conversation=conversation, assignee=ana, actor=ana)
        services.conversation_resolve(conversation=conversation, actor=ana)
        return conversation

    first = served_by_ana(long_ago)
    clock.advance(seconds=2)
    second = served_by_ana(just_within)
    clock.advance(days=7, seconds=-1)  # the first was resolved 7 days + 1 s ago, the second 7 days - 1 s
    still_at_their_desks(ana, ben)
    third = served_by_ana(away)
    for _ in range(2):  # Ana is the busier one: least-loaded routing alone picks Ben
        services.conversation_assign(conversation=write(inbox), assignee=ana, actor=ana)

    services.message_receive(inbox=inbox, contact=long_ago, body="Me again, a week later")
    assert assignee_of(first) == "Ben"  # too long ago: routing picks the least loaded
    services.message_receive(inbox=inbox, contact=just_within, body="Me again, a week later")
    assert assignee_of(second) == "Ana"  # one second within PARLEY_STICKY_FOR: still hers
    agent_set_accepting(agent=ana, accepting=False)
    services.message_receive(inbox=inbox, contact=away, body="Hello again")
    assert assignee_of(third) == "Ben"


def test_a_new_conversation_of_a_start_new_inbox_goes_to_the_last_agent_too(inbox):
    inbox.reopen_policy = "start_new"
    inbox.save()
    ana, _ = online_agent(inbox, "Ana"), online_agent(inbox, "Ben")
    contact = ContactFactory()
    first = services.message_receive(inbox=inbox, contact=contact, body="Hi").conversation
    services.conversation_assign(conversation=first, assignee=ana, actor=ana)
    services.conversation_resolve(conversation=first, actor=ana)
    services.conversation_assign(conversation=write(inbox), assignee=ana, actor=ana)  # Ana busier

    again = services.message_receive(inbox=inbox, contact=contact, body="New question").conversation
    assert again.pk != first.pk
    assert assignee_of(again) == "Ana"


def test_live_chats_of_an_agent_gone_offline_go_to_another_after_the_grace_period(settings, clock):
    settings.PARLEY_LIVE_AGENT_GRACE = timedelta(minutes=2)
    live = InboxFactory(name="Live", mode="live")
    ana = online_agent(live, "Ana", live_capacity=1)
    chat = write(live)
    assert assignee_of(chat) == "Ana"
    clock.advance(seconds=20)  # no heartbeat since she connected: the grace counts from her leaving
    agent_desk_disconnected(agent_id=ana.pk, channel_name="desk.Ana")
    ben = online_agent(live, "Ben", live_capacity=1)

    clock.advance(minutes=1, seconds=59)
    still_at_their_desks(ben)
    assert routing.live_chats_of_agents_gone() == 0
    assert assignee_of(chat) == "Ana"  # within the grace: a reconnect keeps it
    clock.advance(seconds=2)
    assert routing.live_chats_of_agents_gone() == 1
    assert assignee_of(chat) == "Ben"
    assert LiveSession.objects.get(conversation=chat, closed_at__isnull=True).agent == ben
    clock.advance(minutes=1)
    assert routing.live_chats_of_agents_gone() == 0


def test_a_teams_conversation_goes_to_a_member_of_that_team(inbox):
    ana, ben = online_agent(inbox, "Ana"), online_agent(inbox, "Ben")
    billing = TeamFactory(name="Billing")
    billing.members.add(ben)
    for _ in range(2):  # Ben is the busier one: without the team, Ana would get it
        services.conversation_assign(conversation=write(inbox), assignee=ben, actor=ben)
    inbox.routing = "manual"
    inbox.save()
    waiting = write(inbox)
    inbox.routing = "least_loaded"
    inbox.save()

    services.conversation_assign(conversation=waiting, assignee=None, actor=ana, team_id=billing.pk)
    assert assignee_of(waiting) == "Ben"


def test_a_customer_writing_again_while_waiting_runs_no_routing_pass(inbox):
    """Routing runs when a conversation starts waiting or capacity frees, never again for each
    message of a customer who already waits (nobody's room changed)."""
    AgentProfileFactory(display_name="Ana")  # nobody online: it waits
    waiting = write(inbox)
    with CaptureQueriesContext(connection) as queries:
        services.message_receive(
            inbox=inbox, contact=waiting.contact, conversation_id=waiting.pk, body="Still there?"
        )
    assert [query["sql"] for query in queries if "agents_agentprofile" in query["sql"]] == []
    assert assignee_of(waiting) is None

    online_agent(inbox, "Ben")  # capacity arrives: the waiting conversation is routed
    assert assignee_of(waiting) == "Ben"
