"""Conversation lifecycle through the services: resolve, reopen on a customer's message, snooze
and wake, pending, assignment, read markers."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from agents.services import conversation_assign_to_agent
from conversations import events, services
from conversations.event_catalogue import EventType
from conversations.models import Conversation, Inbox, LiveSession, Message
from tests.factories.agents import AgentProfileFactory, TeamFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory, LabelFactory

Status = Conversation.Status


def receive(inbox, contact, body="hi", **kwargs) -> Message:
    return services.message_receive(inbox=inbox, contact=contact, body=body, **kwargs)


def test_a_customer_message_opens_a_conversation_and_starts_the_wait(inbox, contact):
    message = receive(inbox, contact)
    conversation = message.conversation
    assert conversation.status == Status.OPEN
    assert conversation.waiting_since is not None
    assert message.sender_kind == Message.SenderKind.CONTACT


def test_the_first_public_reply_ends_the_wait_and_is_recorded(inbox, contact, agent):
    conversation = receive(inbox, contact).conversation
    services.message_post_reply(conversation=conversation, agent=agent, body="internal", is_private=True)
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None  # a private note is not a reply
    assert conversation.first_reply_at is None

    reply = services.message_post_reply(conversation=conversation, agent=agent, body="Hello! Checking now.")
    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    assert conversation.first_reply_at == reply.created_at


@pytest.mark.parametrize(
    ("policy", "same_conversation"),
    [(Inbox.ReopenPolicy.REOPEN_LAST, True), (Inbox.ReopenPolicy.START_NEW, False)],
)
def test_writing_after_resolution_follows_the_inbox_reopen_policy(
    contact, agent, policy, same_conversation, clock
):
    inbox = InboxFactory(reopen_policy=policy)
    first = receive(inbox, contact).conversation
    resolved_at = clock.advance(minutes=10)
    services.conversation_resolve(conversation=first, actor=agent)

    wrote_at = clock.advance(days=2)
    second = receive(inbox, contact, body="one more thing").conversation

    assert (second.pk == first.pk) is same_conversation
    second.refresh_from_db()
    assert (second.status, second.waiting_since) == (Status.OPEN, wrote_at)
    first.refresh_from_db()
    if same_conversation:
        assert (first.status, first.resolved_at, first.reopen_count) == (Status.OPEN, None, 1)
    else:
        assert (first.status, first.resolved_at, first.reopen_count) == (Status.RESOLVED, resolved_at, 0)


def test_resolve_records_time_and_an_agent_only_activity_line(conversation, agent, clock):
    resolved_at = clock.advance(minutes=3)
    resolved = services.conversation_resolve(conversation=conversation, actor=agent)
    assert resolved.status == Status.RESOLVED
    assert resolved.resolved_at == resolved_at
    activity = resolved.messages.get()
    assert activity.sender_kind == Message.SenderKind.SYSTEM
    assert activity.is_private
    assert activity.body == "Ana resolved the conversation"
    # Resolving twice changes nothing and records nothing.
    clock.advance(minutes=1)
    services.conversation_resolve(conversation=conversation, actor=agent)
    assert resolved.messages.count() == 1
    resolved.refresh_from_db()
    assert resolved.resolved_at == resolved_at


def test_snooze_needs_a_future_time(conversation, agent, clock):
    for until in (clock.now() - timedelta(minutes=1), clock.now()):
        with pytest.raises(ValidationError, match="choose a time in the future"):
            services.conversation_snooze(conversation=conversation, until=until, actor=agent)
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_snoozed_conversations_wake_when_due_and_a_rerun_changes_nothing(inbox, contact, agent, clock):
    due = receive(inbox, contact).conversation
    services.conversation_snooze(conversation=due, until=clock.now() + timedelta(minutes=5), actor=agent)

    clock.advance(minutes=4, seconds=59)
    assert services.conversations_wake_snoozed() == 0
    due.refresh_from_db()
    assert due.status == Status.SNOOZED
    woke_at = clock.advance(seconds=1)  # the snooze runs out on the dot
    assert services.conversations_wake_snoozed() == 1
    due.refresh_from_db()
    assert (due.status, due.snoozed_until) == (Status.OPEN, None)
    woken = due.messages.get(seq=due.last_seq)
    assert (woken.body, woken.created_at) == ("Snooze ended: the conversation is open again", woke_at)
    clock.advance(minutes=1)
    assert services.conversations_wake_snoozed() == 0


def test_a_customer_message_wakes_a_snoozed_conversation(inbox, contact, agent, clock):
    conversation = receive(inbox, contact).conversation
    services.conversation_snooze(
        conversation=conversation, until=clock.now() + timedelta(days=1), actor=agent
    )
    clock.advance(hours=2)  # long before the snooze runs out
    receive(inbox, contact, body="hello?")
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert conversation.snoozed_until is None
    clock.advance(days=1)
    assert services.conversations_wake_snoozed() == 0  # nothing left for the sweep to wake


def test_assignment_checks_inbox_membership(conversation, agent):
    outsider = AgentProfileFactory(display_name="Olga").user
    with pytest.raises(ValidationError, match="not a member"):
        conversation_assign_to_agent(conversation=conversation, assignee=outsider, actor=agent)

    assigned = conversation_assign_to_agent(conversation=conversation, assignee=agent, actor=agent)
    assert assigned.assignee == agent
    assert assigned.messages.get().body == "Ana self-assigned the conversation"


def test_read_markers_only_move_forward(inbox, contact, agent):
    conversation = receive(inbox, contact).conversation
    receive(inbox, contact, body="two")
    conversation.refresh_from_db()
    marker = services.conversation_mark_read_by_agent(conversation=conversation, agent=agent, up_to_seq=2)
    assert marker.last_read_seq == 2
    marker = services.conversation_mark_read_by_agent(conversation=conversation, agent=agent, up_to_seq=1)
    assert marker.last_read_seq == 2


def test_an_agent_reading_tells_the_customer_their_messages_were_seen_once(
    inbox, contact, agent, listen, django_capture_on_commit_callbacks
):
    first = receive(inbox, contact)
    second = receive(inbox, contact, body="two")
    conversation = Conversation.objects.get(pk=first.conversation_id)
    customer = listen(events.contact_group(contact.pk, inbox.pk))
    desks = listen(events.inbox_group(inbox.pk))
    colleague = AgentProfileFactory().user

    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_mark_read_by_agent(conversation=conversation, agent=agent, up_to_seq=first.seq)
        services.conversation_mark_read_by_agent(conversation=conversation, agent=agent, up_to_seq=second.seq)
        services.conversation_mark_read_by_agent(conversation=conversation, agent=colleague, up_to_seq=2)

    told = [event for event in customer.receive_all() if event["type"] == "conversation.read"]
    assert [(event["reader"], event["read_seq"]) for event in told] == [("agent", 1), ("agent", 2)]
    assert "agent_id" not in told[0]  # who read it is the team's business
    first.refresh_from_db(), second.refresh_from_db()
    assert first.delivery_status == second.delivery_status == Message.DeliveryStatus.READ
    reads = [event for event in desks.receive_all() if event["type"] == "conversation.read"]
    assert [event["agent_id"] for event in reads] == [agent.pk, agent.pk, colleague.pk]  # counts per agent


def test_the_customer_reading_marks_outgoing_messages_read(inbox, contact, agent):
    conversation = receive(inbox, contact).conversation
    reply = services.message_post_reply(conversation=conversation, agent=agent, body="Here you go")
    assert reply.delivery_status == Message.DeliveryStatus.SENT  # widget: pushed over our socket

    services.conversation_mark_read_by_contact(conversation=conversation, up_to_seq=reply.seq)
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.READ


def test_empty_messages_are_refused_and_nothing_is_stored(inbox, contact):
    with pytest.raises(ValidationError):
        receive(inbox, contact, body="   ")
    assert Message.objects.count() == 0


def test_resolving_closes_the_open_live_session(conversation, agent, clock):
    session = LiveSession.objects.create(
        conversation=conversation,
        inbox=conversation.inbox,
        opened_at=clock.now(),
        last_activity_at=clock.now(),
    )
    resolved_at = clock.advance(minutes=4)
    services.conversation_resolve(conversation=conversation, actor=agent)
    session.refresh_from_db()
    assert session.closed_at == resolved_at
    assert session.close_reason == LiveSession.CloseReason.RESOLVED


def test_a_team_can_be_set_kept_and_cleared(conversation, agent):
    team = TeamFactory(name="Billing")
    services.conversation_assign(conversation=conversation, assignee=agent, actor=agent, team_id=team.pk)
    kept = services.conversation_assign(conversation=conversation, assignee=None, actor=agent)
    assert (kept.assignee_id, kept.team_id) == (None, team.pk)
    cleared = services.conversation_assign(
        conversation=conversation, assignee=None, actor=agent, team_id=None
    )
    assert cleared.team_id is None
    assert list(cleared.messages.values_list("body", flat=True).order_by("seq")) == [
        "Ana self-assigned the conversation",
        "Ana moved the conversation to team Billing",
        "Ana unassigned the conversation",
        "Ana moved the conversation to no team",
    ]


@pytest.mark.django_db(transaction=True)
def test_priority_and_labels_change_through_one_service_and_are_announced_to_agents(listen):
    conversation = ConversationFactory()
    vip, bug = LabelFactory(name="vip"), LabelFactory(name="bug")
    agents = listen(events.inbox_group(conversation.inbox_id))
    customer = listen(events.contact_group(conversation.contact_id, conversation.inbox_id))

    services.conversation_update(conversation=conversation, actor=None, priority=3, labels=[vip, bug])
    services.conversation_update(conversation=conversation, actor=None, labels=[bug, vip])  # same set

    received = agents.receive_all()
    assert [(event["type"], event["priority"], event["label_ids"]) for event in received] == [
        (EventType.CONVERSATION_UPDATED, 3, sorted([vip.pk, bug.pk]))
    ]
    assert customer.receive_all() == []


def test_snoozes_wake_in_bounded_set_based_batches(inbox, agent, django_assert_max_num_queries, clock):
    soon = clock.now() + timedelta(minutes=5)
    for _ in range(5):
        conversation = receive(inbox, ContactFactory()).conversation
        services.conversation_snooze(conversation=conversation, until=soon, actor=agent)
    clock.advance(minutes=6)
    with django_assert_max_num_queries(12):
        assert services.conversations_wake_snoozed(batch_size=2) == 2
    assert [services.conversations_wake_snoozed(batch_size=2) for _ in range(3)] == [2, 1, 0]
    assert not Conversation.objects.filter(status=Status.SNOOZED).exists()
