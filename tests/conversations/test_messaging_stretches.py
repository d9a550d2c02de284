"""In a messaging inbox nothing ends when someone leaves; a stretch where both sides are there is
recorded as a session (kind `messaging`) for the metrics, and closing it changes nothing else.
Through the services, with the tests' clock."""

import pytest

from agents.selectors import agent_loads
from conversations import services
from conversations.models import Conversation, LiveSession

Reason = LiveSession.CloseReason


@pytest.fixture
def assigned(conversation, agent):
    return services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)


def customer_writes(conversation, body="Hi"):
    return services.message_receive(
        inbox=conversation.inbox, contact=conversation.contact, conversation_id=conversation.pk, body=body
    )


def agent_replies(conversation, agent, body="Hello!"):
    return services.message_post_reply(conversation=conversation, agent=agent, body=body)


def stretches(conversation) -> list[LiveSession]:
    return list(LiveSession.objects.filter(conversation=conversation).order_by("opened_at", "pk"))


def test_an_answer_to_a_customer_who_is_there_opens_a_stretch_that_goes_on_while_both_write(
    assigned, agent, clock
):
    customer_writes(assigned)
    clock.advance(seconds=40)
    answered_at = agent_replies(assigned, agent).created_at
    clock.advance(seconds=30)
    customer_writes(assigned, "Thanks, and one more thing")
    clock.advance(seconds=20)
    last_at = agent_replies(assigned, agent, "Sure").created_at

    [stretch] = stretches(assigned)
    assert stretch.kind == LiveSession.Kind.MESSAGING and stretch.agent_id == agent.pk
    assert (stretch.opened_at, stretch.first_response_at, stretch.last_activity_at) == (
        answered_at,
        answered_at,
        last_at,
    )
    assigned.refresh_from_db()
    assert (assigned.sync_replies, assigned.async_replies) == (2, 0)


def test_an_answer_to_a_customer_who_is_not_there_opens_nothing(assigned, agent, clock):
    customer_writes(assigned)
    clock.advance(hours=3)
    agent_replies(assigned, agent)
    assert stretches(assigned) == []
    assigned.refresh_from_db()
    assert (assigned.sync_replies, assigned.async_replies) == (0, 1)


def test_a_stretch_closes_when_the_customer_left_and_the_conversation_stays_as_it_was(
    assigned, agent, clock, settings
):
    customer_writes(assigned)
    last_seq = agent_replies(assigned, agent).seq
    clock.advance(seconds=10)
    left_at = clock.now()
    services.session_customer_present(
        contact_id=assigned.contact_id, inbox_id=assigned.inbox_id, present=False
    )

    clock.advance(seconds=settings.PARLEY_LIVE_LEAVE_GRACE.total_seconds() - 1)
    assert services.live_sessions_expire() == 0  # within the grace they may come back
    clock.advance(seconds=2)
    assert services.live_sessions_expire() == 1
    assert services.live_sessions_expire() == 0  # a re-run changes nothing

    [stretch] = stretches(assigned)
    assert (stretch.closed_at, stretch.close_reason) == (left_at, Reason.CUSTOMER_LEFT)
    conversation = Conversation.objects.get(pk=assigned.pk)
    assert (conversation.status, conversation.assignee_id) == (Conversation.Status.OPEN, agent.pk)
    assert conversation.last_seq == last_seq  # no "chat ended" line: nothing ended


def test_a_quiet_stretch_closes_at_its_last_message_after_the_inbox_timeout(assigned, agent, clock):
    customer_writes(assigned)
    last_at = agent_replies(assigned, agent).created_at
    clock.advance(seconds=assigned.inbox.session_timeout.total_seconds() + 1)

    assert services.live_sessions_expire() == 1
    [stretch] = stretches(assigned)
    assert (stretch.closed_at, stretch.close_reason) == (last_at, Reason.INACTIVITY)

    clock.advance(days=1)  # they meet again: a new stretch
    customer_writes(assigned, "Back again")
    agent_replies(assigned, agent)
    assert [s.closed_at is None for s in stretches(assigned)] == [False, True]


def test_a_customer_who_comes_back_and_writes_keeps_the_stretch_open(assigned, agent, clock, settings):
    customer_writes(assigned)
    agent_replies(assigned, agent)
    services.session_customer_present(
        contact_id=assigned.contact_id, inbox_id=assigned.inbox_id, present=False
    )
    clock.advance(seconds=30)
    customer_writes(assigned, "Sorry, switched tabs")
    clock.advance(seconds=settings.PARLEY_LIVE_LEAVE_GRACE.total_seconds() + 1)
    assert services.live_sessions_expire() == 0
    assert stretches(assigned)[0].customer_left_at is None


def test_resolving_closes_the_stretch_and_stretches_never_weigh_as_live_chats(assigned, agent, clock):
    customer_writes(assigned)
    agent_replies(assigned, agent)
    assert agent_loads([agent.pk], live=True) == {}
    assert services.session_states([assigned]) == {}  # the widget sees no chat to queue or end

    clock.advance(minutes=1)
    services.conversation_resolve(conversation=assigned, actor=agent)
    [stretch] = stretches(assigned)
    assert (stretch.closed_at, stretch.close_reason) == (clock.now(), Reason.RESOLVED)
