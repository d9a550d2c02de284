"""The longest message the docs allow, in the alphabets that weigh most, through a real Daphne:
the widget and the API channel store it, and every frame that carries it fits, to every desk
and in every resync. (Escaped JSON once made such a message close every desk socket of the inbox.)"""

import asyncio
import json
import uuid

import pytest
from rest_framework.test import APIClient

from channels_in.api_channel.credentials import api_channel_credentials_ensure
from conversations.models import ChannelType, Inbox
from conversations.services import MAX_BODY_LENGTH
from conversations.sockets import MAX_FRAME_BYTES
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import InboxFactory

from .harness import Client
from .test_desk_socket import Desk, login

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = "https://shop.example.com"
EMOJI = "😀🎉👍🏽"  # 4 bytes of UTF-8 each (a skin tone is a code point of its own)
RTL_COMBINING = "שָׁלוֹם" + "e\u0301\u0323"  # Hebrew with points, a letter under two combining marks


def longest(alphabet: str) -> str:
    return (alphabet * MAX_BODY_LENGTH)[:MAX_BODY_LENGTH]


BODIES = [longest(EMOJI), longest(RTL_COMBINING), longest("€")]


@pytest.fixture
def inboxes():
    web = InboxFactory(name="Website", allowed_origins=ORIGIN)
    app = InboxFactory(name="Our app", channel_type=ChannelType.API)
    api_channel_credentials_ensure(inbox_id=app.pk)
    return web, Inbox.objects.get(pk=app.pk)


def agent_of(*inboxes: Inbox, name: str):
    agent = AgentProfileFactory(display_name=name).user
    for inbox in inboxes:
        InboxMembershipFactory(inbox=inbox, agent=agent)
    return agent


async def send_utf8(client: Client, payload: dict) -> dict:
    """As the widget sends (JSON.stringify): UTF-8, not `\\u` escapes."""
    ref = uuid.uuid4().hex[:8]
    frame = json.dumps({**payload, "ref": ref}, ensure_ascii=False)
    assert len(frame.encode()) <= MAX_FRAME_BYTES
    await client.socket.send(frame)
    return await client.wait_for(lambda event: event.get("ref") == ref, timeout=10)


async def pages(client: Client, request: dict) -> list[dict]:
    """Every message of a conversation by history.after, page after page."""
    messages: list[dict] = []
    after = 0
    while True:
        page = await send_utf8(client, {**request, "after_seq": after, "limit": 100})
        assert page["type"] == "history", page
        messages += page["messages"]
        if not page["has_more"]:
            return messages
        after = page["messages"][-1]["seq"]


def from_the_customer(event: dict) -> bool:
    return event["type"] == "message.created" and event.get("sender_kind") == "contact"


def contacts_bodies(messages: list[dict]) -> list[str]:
    return [message["body"] for message in messages if message["sender"]["kind"] == "contact"]


def post_from_the_app(inbox: Inbox, body: str) -> int:
    business = APIClient()
    business.credentials(HTTP_AUTHORIZATION=f"Bearer {inbox.config['api_token']}")
    assert business.post("/api/v1/channel/contacts", {"source_id": "u-1"}, format="json").status_code == 201
    answer = business.post(
        "/api/v1/channel/messages", {"source_id": "u-1", "message_id": "long-1", "body": body}, format="json"
    )
    assert answer.status_code == 201, answer.content
    return answer.json()["conversation_id"]


def test_the_longest_messages_reach_every_desk_and_every_resync(daphne, inboxes):
    web, app = inboxes
    desks_of = [login(agent_of(web, app, name=name)) for name in ("Ana", "Ben")]

    async def journey():
        desks = [await Desk.open(daphne, session) for session in desks_of]
        for desk in desks:
            assert (await desk.next_event())["type"] == "hello"
        status, session = await asyncio.to_thread(daphne.open_session, web.public_key, ORIGIN)
        assert status == 200, session
        customer = await Client.connect(daphne, session["connect_token"], origin=ORIGIN)
        assert (await customer.next_event())["type"] == "hello"
        acks = []
        for number, body in enumerate(BODIES):
            acks.append(
                await send_utf8(
                    customer,
                    {
                        "type": "message.send",
                        "conversation_id": acks[0]["conversation_id"] if acks else None,
                        "client_message_id": f"longest-{number:04d}",
                        "body": body,
                    },
                )
            )
        app_conversation = await asyncio.to_thread(post_from_the_app, app, BODIES[0])
        heard = []
        for desk in desks:
            created = [await desk.wait_for(from_the_customer, timeout=15) for _ in range(len(BODIES) + 1)]
            heard.append([(event["conversation_id"], event["message"]["body"]) for event in created])
        conversation_id = acks[0]["conversation_id"]
        resynced = await pages(customer, {"type": "history.after", "conversation_id": conversation_id})
        desk_resyncs = [
            await pages(desk, {"type": "history.after", "conversation_id": conversation_id}) for desk in desks
        ]
        app_resync = await pages(desks[0], {"type": "history.after", "conversation_id": app_conversation})
        still_open = [desk.socket.close_code for desk in (*desks, customer)]
        for client in (*desks, customer):
            await client.close()
        resyncs = (resynced, desk_resyncs, app_resync)
        return acks, heard, (conversation_id, app_conversation), resyncs, still_open

    acks, heard, (conversation_id, app_conversation), resyncs, still_open = asyncio.run(journey())
    resynced, desk_resyncs, app_resync = resyncs
    assert [(ack["type"], ack["message"]["body"]) for ack in acks] == [("message.ack", b) for b in BODIES]
    expected = sorted([(conversation_id, body) for body in BODIES] + [(app_conversation, BODIES[0])])
    assert [sorted(seen) for seen in heard] == [expected, expected]
    assert contacts_bodies(resynced) == BODIES
    assert [contacts_bodies(desk_resync) for desk_resync in desk_resyncs] == [BODIES, BODIES]
    assert contacts_bodies(app_resync) == BODIES[:1]
    assert still_open == [None, None, None]  # no socket was closed by the server
