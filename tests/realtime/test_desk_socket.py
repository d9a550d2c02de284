"""The agent desk's socket through a real Daphne: authentication, inbox scoping, presence,
collision (viewing and typing), and closing on logout or deactivation."""

import asyncio
import contextlib
import json

import pytest
import websockets
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session
from django.test import Client as DjangoClient

from agents.models import AgentProfile
from conversations import services
from conversations.models import Contact
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ConversationFactory, InboxFactory

from .harness import Client

pytestmark = [pytest.mark.django_db(transaction=True)]


class Desk(Client):
    @classmethod
    async def open(cls, daphne, session_key: str | None, origin: str | None = None) -> "Desk":
        headers = {"Cookie": f"sessionid={session_key}"} if session_key else {}
        socket = await websockets.connect(
            f"{daphne.ws}/ws/v1/desk/",
            origin=origin or daphne.http,
            additional_headers=headers,
            open_timeout=10,
        )
        return cls(socket)


def login(user) -> str:
    browser = DjangoClient()
    browser.force_login(user)
    return browser.cookies["sessionid"].value


@pytest.fixture
def two_inboxes():
    return InboxFactory(name="Web"), InboxFactory(name="SMS", channel_type="sms")


def agent_in(*inboxes, name="Ana", **profile):
    agent = AgentProfileFactory(display_name=name, **profile).user
    for inbox in inboxes:
        InboxMembershipFactory(inbox=inbox, agent=agent)
    return agent


def test_anonymous_and_foreign_origin_desks_are_refused(daphne):
    async def journey():
        anonymous = await Desk.open(daphne, None)
        error = await anonymous.next_event()
        await anonymous.socket.wait_closed()
        with pytest.raises(websockets.InvalidStatus) as refused:
            await Desk.open(daphne, "whatever", origin="https://evil.example.net")
        return error["code"], anonymous.socket.close_code, refused.value.response.status_code

    assert asyncio.run(journey()) == ("unauthorized", 4001, 403)


def written_by_someone(event: dict) -> bool:
    """A customer's or an agent's message (not an activity line such as routing's assignment)."""
    return event["type"] == "message.created" and event["sender_kind"] != "system"


def test_an_agent_hears_only_their_inboxes_and_sees_notes(daphne, two_inboxes):
    web, sms = two_inboxes
    ana = agent_in(web)
    mine, other = ConversationFactory(inbox=web), ConversationFactory(inbox=sms)
    session = login(ana)

    async def journey():
        desk = await Desk.open(daphne, session)
        hello = await desk.next_event()
        for conversation in (other, mine):
            await database_sync_to_async(services.message_receive)(
                inbox=conversation.inbox,
                contact=conversation.contact,
                conversation_id=conversation.pk,
                body="hello",
            )
        await database_sync_to_async(services.message_post_reply)(
            conversation=mine, agent=ana, body="check the refund", is_private=True
        )
        created = [await desk.wait_for(written_by_someone) for _ in range(2)]
        leftover = []
        with contextlib.suppress(TimeoutError):
            while True:
                leftover.append(await desk.next_event(timeout=0.5))
        await desk.close()
        return hello, created, leftover

    hello, created, leftover = asyncio.run(journey())
    assert hello["inbox_ids"] == [web.pk]
    assert [(event["conversation_id"], event["message"]["body"]) for event in created] == [
        (mine.pk, "hello"),
        (mine.pk, "check the refund"),
    ]
    assert created[1]["message"]["is_private"] is True
    assert all(event.get("conversation_id") != other.pk for event in leftover)


def test_presence_follows_tabs_and_is_announced(daphne, two_inboxes):
    web, _ = two_inboxes
    ana, ben = agent_in(web, name="Ana"), agent_in(web, name="Ben")
    ana_session, ben_session = login(ana), login(ben)

    def availability(user) -> str:
        return AgentProfile.objects.get(user=user).availability

    async def journey():
        watcher = await Desk.open(daphne, ben_session)
        await watcher.next_event()
        first, second = await Desk.open(daphne, ana_session), await Desk.open(daphne, ana_session)
        await first.next_event(), await second.next_event()
        online = await watcher.wait_for(
            lambda event: event["type"] == "agent.presence" and event["agent_id"] == ana.pk
        )
        await first.close()
        await asyncio.sleep(0.5)
        still = await database_sync_to_async(availability)(ana)
        await second.close()
        offline = await watcher.wait_for(
            lambda event: event["type"] == "agent.presence" and event["agent_id"] == ana.pk
        )
        await watcher.close()
        return online["availability"], still, offline["availability"]

    assert asyncio.run(journey()) == ("online", "online", "offline")


def test_agents_see_who_else_is_viewing_and_typing_and_the_customer_sees_public_typing(daphne, two_inboxes):
    web, _ = two_inboxes
    ana, ben = agent_in(web, name="Ana"), agent_in(web, name="Ben")
    web.allowed_origins = ""
    web.save()
    status, session = daphne.open_session(web.public_key)
    assert status == 200

    async def journey():
        customer = await Client.connect(daphne, session["connect_token"])
        await customer.next_event()
        ack = await customer.send_message("anyone there?")
        conversation_id = ack["conversation_id"]
        ana_desk = await Desk.open(daphne, await database_sync_to_async(login)(ana))
        ben_desk = await Desk.open(daphne, await database_sync_to_async(login)(ben))
        await ana_desk.next_event(), await ben_desk.next_event()
        await ana_desk.socket.send(json.dumps({"type": "viewing", "conversation_id": conversation_id}))
        viewing = await ben_desk.wait_for(lambda event: event["type"] == "agent.viewing")
        await ana_desk.socket.send(
            json.dumps({"type": "typing", "conversation_id": conversation_id, "private": True})
        )
        private_typing = await ben_desk.wait_for(lambda event: event["type"] == "agent.typing")
        await ana_desk.socket.send(json.dumps({"type": "typing", "conversation_id": conversation_id}))
        public_typing = await customer.wait_for(lambda event: event["type"] == "agent.typing")
        await customer.socket.send(json.dumps({"type": "typing", "conversation_id": conversation_id}))
        customer_typing = await ben_desk.wait_for(lambda event: event["type"] == "contact.typing")
        with contextlib.suppress(TimeoutError):
            while True:
                await customer.next_event(timeout=0.5)
        heard = [event for event in customer.events if event["type"] == "agent.typing"]
        for socket in (customer, ana_desk, ben_desk):
            await socket.close()
        return conversation_id, viewing, private_typing, public_typing, customer_typing, heard

    conversation_id, viewing, private_typing, public_typing, customer_typing, heard = asyncio.run(journey())
    assert (viewing["agent_id"], viewing["name"], viewing["conversation_id"]) == (
        ana.pk,
        "Ana",
        conversation_id,
    )
    assert private_typing["private"] is True
    assert (public_typing["name"], public_typing["typing"]) == ("Ana", True)
    assert customer_typing["conversation_id"] == conversation_id
    assert len(heard) == 1  # the private-note typing never reached the customer


def test_the_desk_closes_within_seconds_of_logout_and_of_deactivation(daphne, two_inboxes):
    web, _ = two_inboxes
    ana, ben = agent_in(web, name="Ana"), agent_in(web, name="Ben")
    ana_session, ben_session = login(ana), login(ben)

    async def journey():
        ana_desk, ben_desk = await Desk.open(daphne, ana_session), await Desk.open(daphne, ben_session)
        await ana_desk.next_event(), await ben_desk.next_event()
        started = asyncio.get_running_loop().time()
        await database_sync_to_async(Session.objects.filter(session_key=ana_session).delete)()  # logout
        ben.is_active = False
        await database_sync_to_async(ben.save)()
        await asyncio.wait_for(ana_desk.socket.wait_closed(), 10)
        await asyncio.wait_for(ben_desk.socket.wait_closed(), 10)
        return (
            ana_desk.socket.close_code,
            ben_desk.socket.close_code,
            asyncio.get_running_loop().time() - started,
        )

    ana_code, ben_code, seconds = asyncio.run(journey())
    assert (ana_code, ben_code) == (4012, 4012)
    assert seconds < 8


def test_agents_see_the_customer_come_and_go(daphne, two_inboxes):
    web, _ = two_inboxes
    ana = agent_in(web, name="Ana")
    web.allowed_origins = ""
    web.save()
    status, session = daphne.open_session(web.public_key)
    assert status == 200

    async def journey():
        desk = await Desk.open(daphne, await database_sync_to_async(login)(ana))
        await desk.next_event()
        customer = await Client.connect(daphne, session["connect_token"])
        await customer.next_event()
        arrived = await desk.wait_for(lambda event: event["type"] == "contact.presence")
        await customer.close()
        left = await desk.wait_for(lambda event: event["type"] == "contact.presence")
        await desk.close()
        return arrived, left

    arrived, left = asyncio.run(journey())
    assert (arrived["contact_id"], arrived["online"]) == (session["contact_id"], True)
    assert (left["contact_id"], left["online"]) == (session["contact_id"], False)
    contact = Contact.objects.get(pk=session["contact_id"])
    assert contact.last_seen_at is not None  # the panel's "last seen"
