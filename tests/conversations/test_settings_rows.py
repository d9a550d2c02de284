"""Inboxes and answer bots read from the process's memory while none changed
(conversations/settings_rows.py): a widget socket, a routing pass and a conversation that starts
read neither again, and a change holds for the very next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.presence import agent_desk_connected
from agents.routing import route_inbox
from answerbot.models import AnswerBot
from answerbot.selectors import inbox_bot_takes
from conversations import services
from conversations.models import Conversation, Inbox
from conversations.refusals import Refused
from conversations.settings_rows import active_inbox, settings_rows_changed
from customer_clients.visitors import connected_visitor, visitor_session_open
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the version is bumped again on commit


def write(inbox) -> Conversation:
    """A new customer writes; the conversation as committed (routing runs after commit)."""
    message = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hello?")
    return Conversation.objects.get(pk=message.conversation_id)


def tables_read(queries) -> list[str]:
    return [query["sql"].split(" FROM ", 1)[1].split(" ", 1)[0].strip('"') for query in queries]


def test_a_widget_socket_reads_its_visitor_with_its_contact_once_and_not_the_inbox_again(inbox):
    session = visitor_session_open(inbox=inbox)
    connected_visitor(session.connect_token)
    with CaptureQueriesContext(connection) as queries:
        visitor, identity = connected_visitor(session.connect_token)
    assert visitor == session.visitor
    assert (identity.contact.pk, identity.inbox.pk) == (session.visitor.contact_id, inbox.pk)
    assert tables_read(queries) == ["conversations_contactidentity"]  # joined with its contact


def test_a_visitor_of_an_inbox_switched_off_is_refused_at_once(inbox):
    token = visitor_session_open(inbox=inbox).connect_token
    connected_visitor(token)
    inbox.is_active = False
    inbox.save(update_fields=["is_active"])
    with pytest.raises(Refused):
        connected_visitor(token)


def test_the_bot_switched_on_off_or_deleted_holds_for_the_next_conversation(inbox):
    assert inbox_bot_takes(inbox.pk) is False
    bot = AnswerBot.objects.create(inbox=inbox, enabled=True)
    assert inbox_bot_takes(inbox.pk) is True
    with CaptureQueriesContext(connection) as queries:
        assert inbox_bot_takes(inbox.pk) is True
    assert queries.captured_queries == []
    bot.enabled = False
    bot.save()
    assert inbox_bot_takes(inbox.pk) is False
    bot.enabled = True
    bot.save()
    bot.delete()
    assert inbox_bot_takes(inbox.pk) is False


def test_an_inbox_switched_to_manual_routing_routes_nothing_from_the_next_message_on(inbox):
    agent = AgentProfileFactory(display_name="Ana").user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    agent_desk_connected(agent=agent, channel_name="desk.ana")
    assert write(inbox).assignee_id == agent.pk  # routed, its inbox read and kept
    inbox.routing = Inbox.Routing.MANUAL
    inbox.save(update_fields=["routing"])
    waiting = write(inbox)
    assert waiting.assignee_id is None
    inbox.routing = Inbox.Routing.LEAST_LOADED
    inbox.save(update_fields=["routing"])
    assert route_inbox(inbox.pk) == [(waiting.pk, agent.pk)]


def test_a_write_without_signals_is_seen_once_it_says_so(inbox):
    active_inbox(inbox.pk)
    Inbox.objects.filter(pk=inbox.pk).update(is_active=False)
    assert active_inbox(inbox.pk) is not None  # the process still has it
    settings_rows_changed()
    assert active_inbox(inbox.pk) is None


def test_what_a_caller_sets_on_its_inbox_stays_its_own(inbox):
    mine = active_inbox(inbox.pk)
    mine.name = "Changed by a caller"
    assert active_inbox(inbox.pk).name == inbox.name
