"""Live sessions through the services, on the tests' clock: the queue, taking a chat, the ends
(customer left, inactivity, ended by someone), the next message's new session, and expiry that
is bounded, set-based and harmless to re-run. Expiry reads the clock as in production."""

from datetime import timedelta

import pytest
from django.core.cache import cache

from agents.models import AgentProfile
from agents.presence import agent_desk_connected
from conversations import events, services, tasks
from conversations.event_catalogue import EventType
from conversations.models import Conversation, LiveSession, Message
from conversations.services import queue
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, InboxFactory

Reason = LiveSession.CloseReason


@pytest.fixture
def live_inbox(db):
    return InboxFactory(name="Live chat", mode="live", session_timeout=timedelta(minutes=10))


def write(inbox, contact, body="Hello?") -> Conversation:
    return services.message_receive(inbox=inbox, contact=contact, body=body).conversation


def open_session(conversation) -> LiveSession:
    return LiveSession.objects.get(conversation=conversation, closed_at__isnull=True)


def queue_events(listener) -> list[tuple[int, int]]:
    return [
        (event["conversation_id"], event["queue_position"])
        for event in listener.receive_all()
        if event["type"] == EventType.SESSION_QUEUED
    ]


def test_a_customer_message_opens_a_session_that_waits_in_the_queue_in_order(
    live_inbox, listen, django_capture_on_commit_callbacks
):
    first, second = ContactFactory(), ContactFactory()
    heard_by_second = listen(events.contact_group(second.pk, live_inbox.pk))
    with django_capture_on_commit_callbacks(execute=True):
        write(live_inbox, first)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = write(live_inbox, second)
        write(live_inbox, second, "Anyone there?")  # the same session, not a second place in line

    assert LiveSession.objects.filter(conversation=conversation).count() == 1
    assert queue_events(heard_by_second) == [(conversation.pk, 2)]
    state = services.session_states([conversation])[conversation.pk]
    assert (state.state, state.queue_position) == ("queued", 2)


def test_an_agent_taking_a_chat_moves_the_queue_up(
    live_inbox, agent, listen, django_capture_on_commit_callbacks
):
    first_contact, second_contact = ContactFactory(), ContactFactory()
    with django_capture_on_commit_callbacks(execute=True):  # each write commits, as in production
        first = write(live_inbox, first_contact)
        second = write(live_inbox, second_contact)
    events.publisher.drain()  # what the writes announced is out before we listen
    heard_by_second = listen(events.contact_group(second_contact.pk, live_inbox.pk))

    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_assign(conversation=first, assignee=agent, actor=agent)

    taken = open_session(first)
    assert taken.agent_id == agent.pk and taken.assigned_at is not None
    assert queue_events(heard_by_second) == [(second.pk, 1)]
    states = services.session_states([first, second])
    assert states[first.pk].state == "active"
    assert (states[second.pk].state, states[second.pk].queue_position) == ("queued", 1)


@pytest.mark.django_db(transaction=True)
def test_routing_many_chats_in_one_transaction_tells_the_queue_once(live_inbox, listen):
    ana = AgentProfileFactory(display_name="Ana", live_capacity=4).user
    InboxMembershipFactory(inbox=live_inbox, agent=ana)
    contacts = [ContactFactory() for _ in range(5)]
    chats = [write(live_inbox, contact) for contact in contacts]  # nobody online: all five wait
    events.publisher.drain()
    last = listen(events.contact_group(contacts[-1].pk, live_inbox.pk))

    agent_desk_connected(agent=ana, channel_name="desk.ana")  # routing gives her four at once

    assert Conversation.objects.filter(assignee=ana).count() == 4
    assert queue_events(last) == [(chats[-1].pk, 1)]  # one move of the queue, not one per chat taken


def test_a_fast_moving_queue_is_announced_at_once_then_once_at_the_end_of_the_window(
    live_inbox, listen, settings, monkeypatch
):
    settings.PARLEY_QUEUE_ANNOUNCE_SECONDS = 1
    cache.clear()
    scheduled = []
    monkeypatch.setattr(
        tasks.announce_queue, "apply_async", lambda args, countdown: scheduled.append(countdown)
    )
    waiting = write(live_inbox, ContactFactory())
    heard = listen(events.contact_group(waiting.contact_id, live_inbox.pk))

    for _ in range(3):  # three more customers join within the window
        queue.queue_announce(live_inbox.pk)
    assert queue_events(heard) == [(waiting.pk, 1)]  # the first move at once, the others held
    assert scheduled == [1]  # one closing announcement, however many moves

    tasks.announce_queue(live_inbox.pk)  # the window ends (Celery runs it after its countdown)
    assert queue_events(heard) == [(waiting.pk, 1)]
    queue.queue_announce(live_inbox.pk)  # still within the first window: held again
    assert scheduled == [1, 1] and queue_events(heard) == []


def test_the_estimated_wait_comes_from_how_long_recent_chats_waited(live_inbox, agent, clock):
    for _ in range(2):  # each chat waits two minutes in the queue before the agent takes it
        taken = write(live_inbox, ContactFactory())
        clock.advance(minutes=2)
        services.conversation_assign(conversation=taken, assignee=agent, actor=agent)
    waiting = [write(live_inbox, ContactFactory()) for _ in range(2)]
    InboxMembershipFactory(inbox=live_inbox, agent=agent)
    AgentProfile.objects.filter(user=agent).update(availability=AgentProfile.Availability.ONLINE)

    states = services.session_states(waiting)
    assert [states[c.pk].estimated_wait_seconds for c in waiting] == [120, 240]


def test_with_nobody_online_to_take_the_chat_no_wait_is_promised(live_inbox, agent, clock):
    """ "About 2 min" with every agent gone would be a promise nobody keeps."""
    InboxMembershipFactory(inbox=live_inbox, agent=agent)
    taken = write(live_inbox, ContactFactory())
    clock.advance(minutes=2)
    services.conversation_assign(conversation=taken, assignee=agent, actor=agent)
    AgentProfile.objects.filter(user=agent).update(availability=AgentProfile.Availability.OFFLINE)
    waiting = write(live_inbox, ContactFactory())

    assert services.session_states([waiting])[waiting.pk].estimated_wait_seconds is None


def test_states_of_many_conversations_cost_a_fixed_number_of_queries(
    live_inbox, agent, django_assert_num_queries
):
    conversations = [write(live_inbox, ContactFactory()) for _ in range(5)]
    for conversation in conversations[:3]:
        services.live_session_end(conversation=conversation, reason=Reason.AGENT_ENDED, actor=agent)
    # latest sessions, the queue of the one inbox, and its recent waits
    with django_assert_num_queries(3):
        states = services.session_states(conversations)
    assert [states[c.pk].state for c in conversations] == ["ended", "ended", "ended", "queued", "queued"]


def test_inactivity_ends_the_session_resolves_and_unassigns_in_one_event_and_a_rerun_changes_nothing(
    live_inbox, agent, listen, django_capture_on_commit_callbacks, clock
):
    contact = ContactFactory()
    conversation = write(live_inbox, contact)
    clock.advance(seconds=30)
    services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)
    replied_at = clock.advance(seconds=30)
    services.message_post_reply(conversation=conversation, agent=agent, body="Hi, I'm Ana.")
    assert open_session(conversation).last_activity_at == replied_at
    heard = listen(events.contact_group(contact.pk, live_inbox.pk))
    desks = listen(events.inbox_group(live_inbox.pk))

    clock.advance(minutes=9, seconds=59)  # the inbox's timeout is ten minutes
    assert services.live_sessions_expire() == 0
    ended_at = clock.advance(seconds=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.live_sessions_expire() == 1

    session = LiveSession.objects.get(conversation=conversation)
    assert (session.close_reason, session.closed_at) == (Reason.INACTIVITY, ended_at)
    assert session.agent_id == agent.pk  # who handled it stays on record
    conversation.refresh_from_db()
    assert (conversation.status, conversation.resolved_at) == (Conversation.Status.RESOLVED, ended_at)
    assert conversation.assignee_id is None
    line = conversation.messages.get(seq=conversation.last_seq)
    assert (line.body, line.is_private) == ("Chat ended after inactivity", True)
    # One event tells the customer and the desks everything: ended, resolved, unassigned, the line.
    [to_customer] = heard.receive_all()
    [to_desks] = desks.receive_all()
    for ended in (to_customer, to_desks):
        assert ended["type"] == EventType.SESSION_ENDED
        assert (ended["close_reason"], ended["status"]) == (Reason.INACTIVITY, "resolved")
        assert (ended["assignee_id"], ended["seq"]) == (None, line.seq)
    assert to_desks["message"]["body"] == "Chat ended after inactivity"
    assert to_desks["message"]["is_private"] is True

    messages_before = Message.objects.count()
    clock.advance(hours=1)
    assert services.live_sessions_expire() == 0
    assert Message.objects.count() == messages_before


def test_a_customer_gone_longer_than_the_grace_period_has_left(live_inbox, settings, clock):
    settings.PARLEY_LIVE_LEAVE_GRACE = timedelta(minutes=2)
    contact = ContactFactory()
    conversation = write(live_inbox, contact)
    left_at = clock.advance(seconds=20)
    services.session_customer_present(contact_id=contact.pk, inbox_id=live_inbox.pk, present=False)
    assert open_session(conversation).customer_left_at == left_at

    clock.advance(minutes=1, seconds=59)
    assert services.live_sessions_expire() == 0
    ended_at = clock.advance(seconds=2)
    assert services.live_sessions_expire() == 1
    session = LiveSession.objects.get(conversation=conversation)
    assert (session.close_reason, session.closed_at) == (Reason.CUSTOMER_LEFT, ended_at)


def test_a_customer_back_within_the_grace_period_keeps_the_session(live_inbox, settings, clock):
    settings.PARLEY_LIVE_LEAVE_GRACE = timedelta(minutes=2)
    contact = ContactFactory()
    conversation = write(live_inbox, contact)
    services.session_customer_present(contact_id=contact.pk, inbox_id=live_inbox.pk, present=False)
    clock.advance(minutes=1, seconds=59)
    services.session_customer_present(contact_id=contact.pk, inbox_id=live_inbox.pk, present=True)

    clock.advance(minutes=5)  # well past the grace, still within the inbox's inactivity timeout
    assert services.live_sessions_expire() == 0
    assert open_session(conversation).customer_left_at is None


def test_the_next_message_after_an_end_opens_a_new_session(live_inbox, agent):
    contact = ContactFactory()
    conversation = write(live_inbox, contact)
    assert services.live_session_end(conversation=conversation, reason=Reason.CUSTOMER_LEFT)
    assert not services.live_session_end(conversation=conversation, reason=Reason.CUSTOMER_LEFT)

    again = write(live_inbox, contact, "One more question")

    assert again.pk == conversation.pk  # the inbox reopens the last conversation by default
    again.refresh_from_db()
    assert again.status == Conversation.Status.OPEN
    sessions = list(LiveSession.objects.filter(conversation=conversation).order_by("opened_at"))
    assert [s.close_reason for s in sessions] == [Reason.CUSTOMER_LEFT, ""]


def test_an_agent_ending_the_chat_is_named_in_the_history(live_inbox, agent):
    conversation = write(live_inbox, ContactFactory())
    services.live_session_end(conversation=conversation, reason=Reason.AGENT_ENDED, actor=agent)
    conversation.refresh_from_db()
    assert conversation.messages.get(seq=conversation.last_seq).body == "Ana ended the chat"


def test_expiry_works_in_bounded_batches(live_inbox, clock):
    conversations = [write(live_inbox, ContactFactory()) for _ in range(5)]
    clock.advance(minutes=10, seconds=1)  # all idle just past the inbox's timeout
    ended = [services.live_sessions_expire(batch_size=2) for _ in range(4)]
    assert ended == [2, 2, 1, 0]
    assert not LiveSession.objects.filter(closed_at__isnull=True).exists()
    assert {c.status for c in Conversation.objects.filter(pk__in=[c.pk for c in conversations])} == {
        "resolved"
    }


def test_a_batch_ends_with_a_fixed_number_of_statements(live_inbox, django_assert_max_num_queries, clock):
    for _ in range(20):
        write(live_inbox, ContactFactory())
    clock.advance(minutes=30)
    with django_assert_max_num_queries(13):  # + 1: which of the resolved ask for a survey (reports.csat)
        assert services.live_sessions_expire() == 20


def test_a_messaging_inbox_opens_no_session(inbox, contact, clock):
    conversation = write(inbox, contact)
    assert not LiveSession.objects.filter(conversation=conversation).exists()
    services.session_customer_present(contact_id=contact.pk, inbox_id=inbox.pk, present=False)
    clock.advance(days=1)
    assert services.live_sessions_expire() == 0
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN  # nothing ends when a messaging customer leaves


def test_an_agent_resolving_a_live_conversation_ends_its_session_for_the_customer(
    live_inbox, agent, listen, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    conversation = write(live_inbox, contact)
    heard = listen(events.contact_group(contact.pk, live_inbox.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_resolve(conversation=conversation, actor=agent)

    assert LiveSession.objects.get(conversation=conversation).close_reason == Reason.RESOLVED
    [ended] = [event for event in heard.receive_all() if event["type"] == EventType.SESSION_ENDED]
    assert ended["close_reason"] == Reason.RESOLVED
