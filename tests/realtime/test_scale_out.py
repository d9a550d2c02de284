"""More than one web process: two Daphne servers on one database and one Redis.

A visitor's sockets may land on different servers (two tabs behind a load balancer); events go
through the Redis channel layer, so each socket hears everything whichever server it is on. And a
few hundred conversations writing at once must not exhaust anything (STACK-NOTES: redis-py 8 caps
its connection pool at 100 and raises instead of waiting).
"""

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async as sync_to_async

from conversations import services
from conversations.models import Conversation, Message
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import InboxFactory

from .harness import Client, DaphneServer

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = "https://shop.example.com"
VISITORS = 250


@pytest.fixture(scope="module")
def second_daphne(django_db_setup, django_db_blocker, tmp_path_factory):
    """Server B: another Daphne process on the same test database and the same test Redis."""
    with django_db_blocker.unblock():
        server = DaphneServer(log_path=tmp_path_factory.mktemp("daphne-b") / "stderr.log")
    yield server
    server.stop()


@pytest.fixture
def widget_inbox():
    return InboxFactory(name="Website", allowed_origins=ORIGIN)


def session_for(server: DaphneServer, inbox, **fields) -> dict:
    status, body = server.open_session(inbox.public_key, origin=ORIGIN, **fields)
    assert status == 200, body
    return body


def created(seq: int):
    return lambda event: event["type"] == "message.created" and event["seq"] == seq


def test_one_visitor_on_two_servers_hears_everything_on_both(daphne, second_daphne, widget_inbox):
    agent = AgentProfileFactory(display_name="Ana").user
    first = session_for(daphne, widget_inbox)
    # The second tab resumes the same visitor through the other server.
    second = session_for(second_daphne, widget_inbox, resume_token=first["resume_token"])
    assert second["contact_id"] == first["contact_id"]

    async def journey():
        on_a = await Client.connect(daphne, first["connect_token"], origin=ORIGIN)
        on_b = await Client.connect(second_daphne, second["connect_token"], origin=ORIGIN)
        await on_a.next_event(), await on_b.next_event()
        ack = await on_a.send_message("typed in the tab on server A")
        b_heard = await on_b.wait_for(created(1))
        await on_b.send_message("typed in the tab on server B", conversation_id=ack["conversation_id"])
        a_heard = await on_a.wait_for(created(2))
        conversation = await sync_to_async(Conversation.objects.get)(pk=ack["conversation_id"])
        await sync_to_async(services.message_post_reply)(
            conversation=conversation, agent=agent, body="Hi, Ana here"
        )
        replies = [await on_a.wait_for(created(3)), await on_b.wait_for(created(3))]
        await on_a.close(), await on_b.close()
        return ack, b_heard, a_heard, replies

    ack, b_heard, a_heard, replies = asyncio.run(journey())
    assert b_heard["message"]["body"] == "typed in the tab on server A"
    assert b_heard["message"]["id"] == ack["message"]["id"]
    assert a_heard["message"]["body"] == "typed in the tab on server B"
    for reply in replies:
        assert reply["message"]["body"] == "Hi, Ana here"
        assert reply["message"]["sender"]["kind"] == "agent"
    assert list(Message.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3]


def test_a_few_hundred_conversations_sending_at_once(daphne, second_daphne, widget_inbox):
    servers = [daphne, second_daphne]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        sessions = list(pool.map(lambda n: session_for(servers[n % 2], widget_inbox), range(VISITORS)))
    assert len({session["contact_id"] for session in sessions}) == VISITORS

    async def journey():
        clients = await asyncio.gather(
            *(
                Client.connect(servers[n % 2], session["connect_token"], origin=ORIGIN)
                for n, session in enumerate(sessions)
            )
        )
        hellos = await asyncio.gather(*(client.next_event(timeout=30) for client in clients))
        assert {hello["type"] for hello in hellos} == {"hello"}
        # Everyone at the same moment.
        acks = await asyncio.gather(
            *(
                client.request(
                    {
                        "type": "message.send",
                        "conversation_id": None,
                        "body": f"visitor {n} here",
                        "client_message_id": uuid.uuid4().hex,
                    },
                    timeout=30,
                )
                for n, client in enumerate(clients)
            )
        )
        # Each socket also hears its own message through the layer.
        echoes = await asyncio.gather(*(client.wait_for(created(1), timeout=30) for client in clients))
        await asyncio.sleep(0.3)
        still_open = [client.socket.close_code is None for client in clients]
        await asyncio.gather(*(client.close() for client in clients))
        errors = [event for client in clients for event in client.events if event["type"] == "error"]
        return acks, echoes, still_open, errors

    acks, echoes, still_open, errors = asyncio.run(journey())
    assert errors == []
    assert all(still_open), f"{still_open.count(False)} sockets were closed by the server"
    assert [ack["type"] for ack in acks] == ["message.ack"] * VISITORS
    assert {ack["message"]["seq"] for ack in acks} == {1}
    assert len({ack["conversation_id"] for ack in acks}) == VISITORS
    assert [echo["message"]["id"] for echo in echoes] == [ack["message"]["id"] for ack in acks]
    assert Message.objects.count() == VISITORS
    assert Conversation.objects.count() == VISITORS
    assert Conversation.objects.filter(last_seq=1).count() == VISITORS
    assert time.monotonic() - started < 60
