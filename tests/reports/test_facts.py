"""The fact log, written by the core's own services on the real database: what is kept, what is
not, that a fact commits or rolls back with its change, that nobody can edit one, and that a
sweep ending many chats writes its facts in one statement."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from agents.presence import agent_desk_connected, agent_desk_disconnected
from conversations import services
from conversations.models import Conversation
from reports.models import Fact
from tests.factories.conversations import ContactFactory, InboxFactory


def kinds(conversation: Conversation) -> list[tuple]:
    return [
        (
            fact.kind,
            fact.data.get("sender") or fact.data.get("status") or fact.data.get("reason", ""),
            fact.agent_id,
        )
        for fact in Fact.objects.filter(conversation_id=conversation.pk).order_by("id")
    ]


def test_a_conversation_leaves_its_facts_in_order(inbox, contact, agent, clock):
    conversation = services.message_receive(
        inbox=inbox, contact=contact, body="Where is my order?"
    ).conversation
    services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)
    services.message_post_reply(conversation=conversation, agent=agent, body="Checking", is_private=True)
    services.message_post_reply(conversation=conversation, agent=agent, body="It left today.")
    services.conversation_resolve(conversation=conversation, actor=agent)

    assert kinds(conversation) == [
        ("created", "", None),
        ("message", "contact", None),
        ("assigned", "", agent.pk),
        # the private note and the activity lines are not facts: never a response
        ("message", "agent", agent.pk),
        ("status", "resolved", None),
    ]
    first = Fact.objects.filter(conversation_id=conversation.pk).first()
    assert first.inbox_id == inbox.pk


def test_a_fact_rolls_back_with_its_change(inbox, contact):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.message_receive(inbox=inbox, contact=contact, body="Hello")
        raise RuntimeError("the change fails after the event was published")
    assert not Fact.objects.exists()


def test_facts_cannot_be_edited_or_deleted(inbox, contact):
    services.message_receive(inbox=inbox, contact=contact, body="Hello")
    fact = Fact.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Fact.objects.filter(pk=fact.pk).update(kind="status")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Fact.objects.filter(pk=fact.pk).delete()
    assert Fact.objects.get(pk=fact.pk).kind == "created"


def test_facts_outlive_the_conversation(inbox, contact):
    conversation = services.message_receive(inbox=inbox, contact=contact, body="Hello").conversation
    contact.delete()
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert Fact.objects.filter(conversation_id=conversation.pk).count() == 2


def test_agent_presence_is_a_fact(agent):
    agent_desk_connected(agent=agent, channel_name="desk.1")
    agent_desk_disconnected(agent_id=agent.pk, channel_name="desk.1")
    assert list(
        Fact.objects.filter(kind=Fact.Kind.PRESENCE, agent_id=agent.pk).values_list(
            "data__availability", flat=True
        )
    ) == ["online", "offline"]


def test_a_sweep_ending_many_chats_writes_their_facts_in_one_statement(
    db, clock, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    live = InboxFactory(name="Live", mode="live", session_timeout=timedelta(minutes=10))
    conversations = [
        services.message_receive(inbox=live, contact=ContactFactory(), body="Hi").conversation
        for _ in range(20)
    ]
    clock.advance(minutes=30)
    with CaptureQueriesContext(connection) as captured:
        assert services.live_sessions_expire() == 20
    inserts = [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "reports_fact"')
    ]
    assert len(inserts) == 1
    ended = Fact.objects.filter(
        kind=Fact.Kind.SESSION_ENDED, conversation_id__in=[c.pk for c in conversations]
    )
    assert ended.count() == 20
    assert set(ended.values_list("data__reason", flat=True)) == {"inactivity"}
