"""A live inbox through the client protocol, on a real Daphne, Postgres and Redis: the customer
waits in the queue, an agent picks the chat up, the customer leaves and the session ends; the
customer ends a chat and asks for its transcript."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async as sync_to_async
from django.conf import settings

from conversations import services
from conversations.models import Conversation, LiveSession
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import InboxFactory

from .harness import Client
from .test_desk_socket import Desk, agent_in, login

pytestmark = [pytest.mark.django_db(transaction=True)]
ORIGIN = "https://shop.example.com"


@pytest.fixture
def live_inbox():
    return InboxFactory(name="Live", mode="live", allowed_origins=ORIGIN)


async def visitor(daphne, inbox) -> Client:
    status, session = await sync_to_async(daphne.open_session)(inbox.public_key, origin=ORIGIN)
    assert status == 200, session
    client = await Client.connect(daphne, session["connect_token"], origin=ORIGIN)
    assert (await client.next_event())["type"] == "hello"
    return client


def of_type(kind):
    return lambda event: event["type"] == kind


def test_queued_then_picked_up_then_the_customer_leaves_and_the_session_ends(daphne, live_inbox):
    agent = AgentProfileFactory(display_name="Ana").user

    async def journey():
        first, second = await visitor(daphne, live_inbox), await visitor(daphne, live_inbox)
        ahead = await first.send_message("I need help with my order")
        await first.wait_for(of_type("session.queued"))
        waiting = await second.send_message("Hello, anyone?")
        queued = await second.wait_for(of_type("session.queued"))
        assert (queued["conversation_id"], queued["queue_position"]) == (waiting["conversation_id"], 2)

        taken = await sync_to_async(Conversation.objects.get)(pk=ahead["conversation_id"])
        await sync_to_async(services.conversation_assign)(conversation=taken, assignee=agent, actor=agent)
        joined = await first.wait_for(of_type("conversation.assigned"))
        assert joined["assignee_name"] == "Ana"
        moved_up = await second.wait_for(of_type("session.queued"))
        assert moved_up["queue_position"] == 1

        # The customer closes the widget: gone, and after the grace period the chat has ended.
        await first.socket.send('{"type": "presence", "state": "away"}')
        gone_at = await left_at(taken.pk, gone=True)
        later = gone_at + settings.PARLEY_LIVE_LEAVE_GRACE + timedelta(seconds=1)
        assert await sync_to_async(services.live_sessions_expire)(now=later) == 1
        # One event says it all: the chat ended and the conversation is resolved; the agent-only
        # end line it carries for desks never reaches the customer.
        ended = await first.wait_for(of_type("session.ended"))
        assert (ended["close_reason"], ended["status"]) == ("customer_left", "resolved")
        assert "message" not in ended

        # Reconnecting shows the ended session; the second customer is still waiting, first in line.
        again = await first.request({"type": "conversations.list"})
        [listed] = again["conversations"]
        assert listed["live_session"]["state"] == "ended"
        assert listed["live_session"]["close_reason"] == "customer_left"
        listing = await second.request({"type": "conversations.list"})
        assert listing["conversations"][0]["live_session"]["queue_position"] == 1
        await first.close()
        await second.close()

    asyncio.run(journey())


def test_the_customer_ends_the_chat_and_asks_for_the_transcript(daphne, live_inbox):
    async def journey():
        client = await visitor(daphne, live_inbox)
        sent = await client.send_message("Quick question")
        conversation_id = sent["conversation_id"]
        answer = await client.request({"type": "session.end", "conversation_id": conversation_id})
        assert answer["ended"] is True
        ended = await client.wait_for(of_type("session.ended"))
        assert ended["close_reason"] == "customer_ended"  # they pressed End chat, they did not leave
        again = await client.request({"type": "session.end", "conversation_id": conversation_id})
        assert again["ended"] is False

        refused = await client.request(
            {"type": "transcript.request", "conversation_id": conversation_id, "email": "not an address"}
        )
        assert refused["type"] == "error" and refused["code"] == "invalid"
        queued = await client.request(
            {"type": "transcript.request", "conversation_id": conversation_id, "email": "kim@example.com"}
        )
        assert queued == {"type": "transcript.queued", "ref": queued["ref"], "email": "kim@example.com"}
        await client.close()
        return conversation_id

    conversation_id = asyncio.run(journey())
    conversation = Conversation.objects.select_related("contact").get(pk=conversation_id)
    assert conversation.status == Conversation.Status.RESOLVED
    assert conversation.contact.email == "kim@example.com"  # the address the transcript goes to


async def left_at(conversation_id: int, *, gone: bool):
    """The session's customer_left_at once it is set (gone) or cleared (back); the server writes
    it as it handles the socket's close or open, a moment after the client's side."""
    session = await sync_to_async(LiveSession.objects.get)(conversation_id=conversation_id)
    for _ in range(150):  # up to 15 s: generous for a loaded CI machine, bounded
        await sync_to_async(session.refresh_from_db)()
        if (session.customer_left_at is not None) == gone:
            break
        await asyncio.sleep(0.1)
    return session.customer_left_at


def test_a_closed_socket_marks_the_customer_gone_and_reconnecting_brings_them_back(daphne, live_inbox):
    status, session = daphne.open_session(live_inbox.public_key, origin=ORIGIN)
    assert status == 200

    async def journey():
        client = await Client.connect(daphne, session["connect_token"], origin=ORIGIN)
        await client.next_event()
        sent = await client.send_message("Hi")
        await client.close()
        assert await left_at(sent["conversation_id"], gone=True) is not None
        _, resumed = await sync_to_async(daphne.open_session)(
            live_inbox.public_key, origin=ORIGIN, resume_token=session["resume_token"]
        )
        back = await Client.connect(daphne, resumed["connect_token"], origin=ORIGIN)
        await back.next_event()
        assert await left_at(sent["conversation_id"], gone=False) is None
        await back.close()

    asyncio.run(journey())


def test_routing_end_to_end_a_live_chat_picked_up_and_a_messaging_customer_back_two_days_later(daphne):
    """Issue 6's two journeys through the widget protocol, with an agent online on the desk socket:
    routing gives the live chat to her at once, the customer leaves and the session ends; a
    messaging customer answered while there (a stretch recorded, closed as they go) and resolved
    two days ago writes again and goes back to the same agent."""
    live_inbox = InboxFactory(name="Live", mode="live", allowed_origins=ORIGIN)
    messaging = InboxFactory(name="Web", allowed_origins=ORIGIN)
    ana = agent_in(live_inbox, messaging, name="Ana")
    agent_in(messaging, name="Ben")  # a member, offline: stickiness must not depend on him

    async def journey():
        desk = await Desk.open(daphne, await sync_to_async(login)(ana))
        assert (await desk.next_event())["availability"] == "online"

        chatter = await visitor(daphne, live_inbox)
        sent = await chatter.send_message("Can I change my delivery address?")
        joined = await chatter.wait_for(of_type("conversation.assigned"))
        assert joined["assignee_name"] == "Ana"  # routed the moment it arrived
        await chatter.socket.send('{"type": "presence", "state": "away"}')
        gone_at = await left_at(sent["conversation_id"], gone=True)
        later = gone_at + settings.PARLEY_LIVE_LEAVE_GRACE + timedelta(seconds=1)
        assert await sync_to_async(services.live_sessions_expire)(now=later) == 1
        ended = await chatter.wait_for(of_type("session.ended"))
        assert ended["close_reason"] == "customer_left"

        writer = await visitor(daphne, messaging)
        first = await writer.send_message("My order is late")
        conversation = await sync_to_async(Conversation.objects.get)(pk=first["conversation_id"])
        assert conversation.assignee_id == ana.pk  # Ana has the lighter load of the online members
        await sync_to_async(services.message_post_reply)(
            conversation=conversation, agent=ana, body="Checking"
        )
        await writer.socket.send('{"type": "presence", "state": "away"}')
        # Both were there: the stretch is recorded, and closes with the customer gone; nothing ends.
        assert await left_at(conversation.pk, gone=True) is not None
        stretch = await sync_to_async(LiveSession.objects.get)(conversation_id=conversation.pk)
        assert (stretch.kind, stretch.agent_id, stretch.closed_at) == ("messaging", ana.pk, None)
        await sync_to_async(services.conversation_resolve)(conversation=conversation, actor=ana)
        # Two days on. The server is another process, which the tests' clock cannot move: the
        # resolve is dated back instead.
        await sync_to_async(Conversation.objects.filter(pk=conversation.pk).update)(
            resolved_at=conversation.last_activity_at - timedelta(days=2)
        )
        again = await writer.send_message("It came, but the box was damaged")
        assert again["conversation_id"] == conversation.pk
        for client in (chatter, writer, desk):
            await client.close()
        return conversation.pk

    conversation_id = asyncio.run(journey())
    conversation = Conversation.objects.get(pk=conversation_id)
    assert (conversation.status, conversation.assignee_id, conversation.reopen_count) == ("open", ana.pk, 1)
