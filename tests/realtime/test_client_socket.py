"""The customer's socket through a real Daphne, Postgres and Redis (docs/protocol.md)."""

import asyncio
import contextlib

import pytest
from channels.db import database_sync_to_async as sync_to_async

from conversations import services
from conversations.models import Conversation, Message
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import InboxFactory

from .harness import Client

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def widget_inbox():
    return InboxFactory(name="Website", allowed_origins="https://shop.example.com")


def from_agent(event: dict) -> bool:
    return event["message"]["sender"]["kind"] == "agent"


def session_for(daphne, inbox, **fields) -> dict:
    status, body = daphne.open_session(inbox.public_key, origin="https://shop.example.com", **fields)
    assert status == 200, body
    return body


def test_send_is_acked_with_seq_and_a_resend_creates_nothing(daphne, widget_inbox):
    session = session_for(daphne, widget_inbox)

    async def journey():
        client = await Client.connect(daphne, session["connect_token"], origin="https://shop.example.com")
        hello = await client.next_event()
        assert hello["type"] == "hello" and hello["conversations"] == []
        first = await client.send_message("Where is my order?", client_message_id="c-000001")
        again = await client.send_message("Where is my order?", client_message_id="c-000001")
        second = await client.send_message("It was #48213", conversation_id=first["conversation_id"])
        await client.close()
        return first, again, second

    first, again, second = asyncio.run(journey())
    assert first["type"] == "message.ack"
    assert first["message"]["seq"] == 1 and first["message"]["body"] == "Where is my order?"
    assert again["message"]["id"] == first["message"]["id"]
    assert second["message"]["seq"] == 2
    assert Message.objects.count() == 2


def test_agent_replies_arrive_in_order_and_a_reconnect_resyncs_what_was_missed(daphne, widget_inbox):
    session = session_for(daphne, widget_inbox)
    agent = AgentProfileFactory(display_name="Ana").user

    async def journey():
        client = await Client.connect(daphne, session["connect_token"], origin="https://shop.example.com")
        await client.next_event()
        ack = await client.send_message("Hello?")
        conversation = await sync_to_async(Conversation.objects.get)(pk=ack["conversation_id"])
        for n in range(5):
            await sync_to_async(services.message_post_reply)(
                conversation=conversation, agent=agent, body=f"reply {n}"
            )
        live = [
            await client.wait_for(lambda event: event["type"] == "message.created" and from_agent(event))
            for _ in range(5)
        ]
        await client.close()
        # Offline: two more replies, then a fresh session and a resync after the last seq seen.
        for n in (5, 6):
            await sync_to_async(services.message_post_reply)(
                conversation=conversation, agent=agent, body=f"reply {n}"
            )
        fresh = await sync_to_async(session_for)(daphne, widget_inbox, resume_token=session["resume_token"])
        back = await Client.connect(daphne, fresh["connect_token"], origin="https://shop.example.com")
        hello = await back.next_event()
        page = await back.request(
            {
                "type": "history.after",
                "conversation_id": conversation.pk,
                "after_seq": live[-1]["message"]["seq"],
            }
        )
        await back.close()
        return live, hello, page

    live, hello, page = asyncio.run(journey())
    assert [event["message"]["body"] for event in live] == [f"reply {n}" for n in range(5)]
    assert [event["message"]["seq"] for event in live] == [2, 3, 4, 5, 6]
    assert live[0]["message"]["sender"] == {
        "kind": "agent",
        "agent_id": agent.pk,
        "name": "Ana",
        "avatar_url": "",
    }
    assert hello["conversations"][0]["last_seq"] == 8
    assert [message["body"] for message in page["messages"]] == ["reply 5", "reply 6"]
    assert page["last_seq"] == 8 and page["has_more"] is False


def test_private_notes_never_reach_the_customer(daphne, widget_inbox):
    session = session_for(daphne, widget_inbox)
    agent = AgentProfileFactory().user

    async def journey():
        client = await Client.connect(daphne, session["connect_token"], origin="https://shop.example.com")
        await client.next_event()
        ack = await client.send_message("Hi")
        conversation = await sync_to_async(Conversation.objects.get)(pk=ack["conversation_id"])
        await sync_to_async(services.message_post_reply)(
            conversation=conversation, agent=agent, body="VIP - be nice", is_private=True
        )
        await sync_to_async(services.message_post_reply)(
            conversation=conversation, agent=agent, body="Hello!"
        )
        public = await client.wait_for(lambda event: event["type"] == "message.created" and from_agent(event))
        page = await client.request(
            {"type": "history.after", "conversation_id": conversation.pk, "after_seq": 0}
        )
        await client.close()
        return public, page

    public, page = asyncio.run(journey())
    assert public["message"]["body"] == "Hello!"
    assert [message["body"] for message in page["messages"]] == ["Hi", "Hello!"]
    # The live event, rendered once for agents, reaches the customer exactly as history shows it:
    # no is_private, no provider error fields.
    assert public["message"] == page["messages"][1]
    assert not {"is_private", "error_code", "error"} & public["message"].keys()


def test_a_visitor_never_reaches_another_visitors_conversation(daphne, widget_inbox):
    alice, mallory = session_for(daphne, widget_inbox), session_for(daphne, widget_inbox)

    async def journey():
        a = await Client.connect(daphne, alice["connect_token"], origin="https://shop.example.com")
        m = await Client.connect(daphne, mallory["connect_token"], origin="https://shop.example.com")
        await a.next_event(), await m.next_event()
        ack = await a.send_message("my address is 1 Main St")
        conversation_id = ack["conversation_id"]
        attempts = [
            await m.request({"type": "history.after", "conversation_id": conversation_id, "after_seq": 0}),
            await m.send_message("injected", conversation_id=conversation_id),
            await m.request({"type": "read", "conversation_id": conversation_id, "seq": 1}),
            await m.request({"type": "typing", "conversation_id": conversation_id, "typing": True}),
        ]
        quiet = None
        with contextlib.suppress(TimeoutError):
            quiet = await m.next_event(timeout=0.5)
        await a.close(), await m.close()
        return attempts, quiet

    attempts, quiet = asyncio.run(journey())
    assert [attempt["code"] for attempt in attempts] == ["not_found"] * 4
    assert quiet is None  # nothing of Alice's conversation was pushed to Mallory
    assert Message.objects.filter(body="injected").count() == 0


@pytest.mark.parametrize(
    ("token", "code"),
    [("", "token_invalid"), ("not-a-token", "token_invalid")],
)
def test_a_bad_token_is_refused_with_a_close_code(daphne, token, code):
    async def journey():
        client = await Client.connect(daphne, token)
        error = await client.next_event()
        await client.socket.wait_closed()
        return error, client.socket.close_code

    error, close_code = asyncio.run(journey())
    assert (error["type"], error["code"]) == ("error", code)
    assert close_code == 4001


def test_a_tampered_token_is_refused(daphne, widget_inbox):
    session = session_for(daphne, widget_inbox)
    payload, signature = session["connect_token"].rsplit(":", 1)
    forged = payload + ":" + ("A" if signature[0] != "A" else "B") + signature[1:]

    async def journey():
        client = await Client.connect(daphne, forged)
        error = await client.next_event()
        await client.socket.wait_closed()
        return error["code"], client.socket.close_code

    assert asyncio.run(journey()) == ("token_invalid", 4001)


def test_a_site_outside_the_inbox_allow_list_is_refused(daphne, widget_inbox):
    status, body = daphne.open_session(widget_inbox.public_key, origin="https://evil.example.net")
    assert (status, body["error"]) == (403, "origin_forbidden")
    session = session_for(daphne, widget_inbox)

    async def journey():
        client = await Client.connect(daphne, session["connect_token"], origin="https://evil.example.net")
        error = await client.next_event()
        await client.socket.wait_closed()
        return error["code"], client.socket.close_code

    assert asyncio.run(journey()) == ("origin_forbidden", 4003)
