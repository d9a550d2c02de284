"""Overload through a real Daphne, Postgres and Redis: a socket that falls behind is told to resync
and stays open (it is never closed for lagging), and customers who send faster than the server can
store are refused with `busy` and store their message by sending it again (docs/protocol.md,
"Falling behind" and "Busy")."""

import asyncio
import json
import socket
import time
import uuid

import psycopg
import pytest
import websockets
from channels.layers import get_channel_layer
from django.db import connection

from conversations import events, services
from conversations.event_catalogue import EventType
from conversations.models import Conversation, Message
from customer_clients.backpressure import MANY_WAITING, MAX_WAIT_SECONDS
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import InboxFactory

from .harness import Client

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = "https://shop.example.com"


@pytest.fixture
def widget_inbox():
    return InboxFactory(name="Website", allowed_origins=ORIGIN)


def connect_token(daphne, inbox) -> str:
    status, body = daphne.open_session(inbox.public_key, origin=ORIGIN)
    assert status == 200, body
    return body["connect_token"]


async def connected(daphne, tokens: list[str]) -> list[Client]:
    """A customer client per connect token, each past its hello."""
    clients = []
    for token in tokens:
        client = await Client.connect(daphne, token, origin=ORIGIN)
        await client.next_event()  # hello
        clients.append(client)
    return clients


async def store_held() -> psycopg.AsyncConnection:
    """A connection whose transaction holds the message table: every store waits until it ends."""
    db = connection.settings_dict
    holder = await psycopg.AsyncConnection.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]
    )
    await holder.execute("LOCK TABLE conversations_message IN SHARE MODE")  # inserts wait
    return holder


def is_resync(event: dict) -> bool:
    return event["type"] == "resync"


def test_a_socket_that_heard_an_event_too_late_is_told_to_resync_and_stays_open(daphne, widget_inbox):
    token = connect_token(daphne, widget_inbox)

    async def journey():
        client = await Client.connect(daphne, token, origin=ORIGIN)
        hello = await client.next_event()
        ack = await client.send_message("Hello?")
        stale = {
            "type": EventType.CONVERSATION_STATUS_CHANGED,
            "conversation_id": ack["message"]["conversation_id"],
            "inbox_id": widget_inbox.pk,
            "seq": 1,
            "status": "open",
            events.PUBLISHED_AT: time.time() - 60,
        }
        group = events.contact_group(hello["contact_id"], widget_inbox.pk)
        await asyncio.to_thread(events.publisher.call, get_channel_layer().group_send(group, stale))
        resync = await client.wait_for(is_resync, timeout=10)
        pong = await client.request({"type": "ping"})
        await client.close()
        return ack, resync, pong

    ack, resync, pong = asyncio.run(journey())
    assert resync["reason"] == "behind"
    # Still open and served, and the pong carries what the client resyncs from.
    assert pong["type"] == "pong"
    assert pong["seqs"] == {str(ack["message"]["conversation_id"]): 1}


REPLIES = 480
REPLY_BODY = "x" * 16_000  # ~16 KB a frame: 7.7 MB in all, more than the kernel's buffers hold


def test_a_client_that_stops_reading_falls_behind_then_resyncs_and_is_never_closed(daphne, widget_inbox):
    token = connect_token(daphne, widget_inbox)
    agent = AgentProfileFactory(display_name="Ana").user

    async def journey():
        # A client that does not read: a small receive buffer (no autotuning to megabytes), and at
        # most one frame held before it stops reading its socket.
        raw = socket.create_connection(("127.0.0.1", daphne.port))
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        stalled = await websockets.connect(
            f"{daphne.ws}/ws/v1/client/?token={token}", origin=ORIGIN, sock=raw, max_queue=1, max_size=2**20
        )
        client = Client(stalled)
        await client.next_event()  # hello
        ack = await client.send_message("Are you there?")
        conversation = await asyncio.to_thread(Conversation.objects.get, pk=ack["message"]["conversation_id"])

        def reply_many() -> None:
            for n in range(REPLIES):
                services.message_post_reply(conversation=conversation, agent=agent, body=f"{n} {REPLY_BODY}")
            connection.close()

        await asyncio.to_thread(reply_many)
        await asyncio.sleep(1.0)  # the server has written what it will; the client reads again now
        resync = await client.wait_for(is_resync, timeout=30)
        pong = await client.request({"type": "ping"}, timeout=10)
        heard = [event for event in client.events if event["type"] == "message.created"]
        await client.close()
        return conversation.pk, resync, pong, heard, stalled.close_code

    conversation_id, resync, pong, heard, close_code = asyncio.run(journey())
    assert resync["reason"] == "behind"
    assert 0 < len(heard) < REPLIES, "events were not dropped for the stalled client"
    seqs = [event["seq"] for event in heard]
    assert seqs == sorted(seqs), "what was delivered came in order"
    assert pong["seqs"] == {str(conversation_id): REPLIES + 1}, "the pong tells it what to resync"
    assert close_code == 1000  # closed by the client at the end, never by the server


def test_customers_sending_faster_than_the_server_stores_are_told_busy_and_lose_nothing(daphne, widget_inbox):
    """Stores are held up (a lock on the message table): MANY_WAITING sends pile up in the server
    and wait past MAX_WAIT_SECONDS, so the sends that follow are refused with `busy`. Sent again
    with the same id once the store frees, every message is stored exactly once."""
    piled, late = MANY_WAITING, 5
    tokens = [connect_token(daphne, widget_inbox) for _ in range(piled + late)]

    async def journey():
        clients = await connected(daphne, tokens)
        ids = [uuid.uuid4().hex for _ in clients]
        sends = [{"type": "message.send", "body": "Hello?", "client_message_id": id_} for id_ in ids]
        holder = await store_held()
        waiting = [
            asyncio.create_task(client.request(send, timeout=60))
            for client, send in zip(clients[:piled], sends[:piled], strict=True)
        ]
        await asyncio.sleep(MAX_WAIT_SECONDS + 0.5)
        refused = [
            await client.request(send) for client, send in zip(clients[piled:], sends[piled:], strict=True)
        ]
        early = [task.done() for task in waiting]  # none answered: they wait for the store
        await holder.rollback()  # the store frees
        await holder.close()
        acked = [await task for task in waiting]
        retried = [
            await client.send_message("Hello?", client_message_id=id_)
            for client, id_ in zip(clients[piled:], ids[piled:], strict=True)
        ]
        for client in clients:
            await client.close()
        return ids, early, refused, acked, retried

    ids, early, refused, acked, retried = asyncio.run(journey())
    assert {(event["code"], event["retry_after_ms"] > 0) for event in refused} == {("busy", True)}
    assert early == [False] * piled, "the first were taken on, not refused"
    assert [event["type"] for event in acked + retried] == ["message.ack"] * len(ids)
    stored = list(Message.objects.values_list("client_message_id", flat=True))
    assert sorted(stored) == sorted(ids), "every message stored exactly once"


def test_resending_after_busy_as_told_never_runs_into_the_rate_limit(daphne, widget_inbox):
    """A busy refusal gives the send's allowance back: a client that keeps resending as the
    protocol asks (here 40 times, twice the burst the rate limit allows) is told `busy` each
    time, never `rate_limited`, and its message is stored once the store frees. Before, a client
    resending through a long overload was rate-limited, and a rate_limited frame names no ref,
    so the message was lost for good (the realtime benchmark's overload: 1,610 never stored)."""
    tokens = [connect_token(daphne, widget_inbox) for _ in range(MANY_WAITING + 1)]

    async def journey():
        clients = await connected(daphne, tokens)
        *piling, persistent = clients
        holder = await store_held()
        waiting = [
            asyncio.create_task(
                client.request(
                    {"type": "message.send", "body": "Hello?", "client_message_id": uuid.uuid4().hex},
                    timeout=60,
                )
            )
            for client in piling
        ]
        await asyncio.sleep(MAX_WAIT_SECONDS + 0.5)
        resend = {"type": "message.send", "body": "Still there?", "client_message_id": uuid.uuid4().hex}
        answers = []
        for n in range(40):
            await persistent.socket.send(json.dumps({**resend, "ref": f"again-{n}"}))
            answer = await persistent.wait_for(  # a rate_limited frame names no ref
                lambda event, n=n: event.get("ref") == f"again-{n}" or event.get("code") == "rate_limited"
            )
            answers.append(answer["code"])
        await holder.rollback()
        await holder.close()
        await asyncio.gather(*waiting)
        stored = await persistent.request(resend, timeout=30)
        for client in clients:
            await client.close()
        return answers, stored

    answers, stored = asyncio.run(journey())
    assert answers == ["busy"] * 40
    assert stored["type"] == "message.ack"
    assert Message.objects.filter(body="Still there?").count() == 1
