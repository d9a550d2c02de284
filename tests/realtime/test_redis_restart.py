"""A Redis restart under live sockets (DESIGN.md invariant 4): nothing is lost, nothing doubled.

The channel layer is at-most-once and a restarted Redis forgets group memberships. Messages are
committed before anyone is told, a ping re-joins the groups and reports each conversation's latest
seq, and history.after fills the gap from the database.

This module runs its own Redis (a free port, nothing persisted) and its own Daphne on it: the
shared system Redis is never touched.
"""

import asyncio
import contextlib
import uuid

import pytest
import websockets
from channels.db import database_sync_to_async as sync_to_async

from conversations import services
from conversations.models import Conversation, Message
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import InboxFactory

from .harness import Client, DaphneServer, PrivateRedis

# These journeys stop their server's Redis on purpose: the channel layer's receive task logs the
# lost connection with its traceback (a ConnectionError, or redis-py's reconnect racing itself).
# Expected here; anything else a server logs still fails the test.
REDIS_STOPPED = pytest.mark.server_errors(r"channels_redis\.pubsub Unexpected exception in receive task")
pytestmark = [pytest.mark.django_db(transaction=True), REDIS_STOPPED]

ORIGIN = "https://shop.example.com"


@pytest.fixture
def private_redis():
    redis = PrivateRedis()
    yield redis
    redis.stop()


@pytest.fixture
def server(private_redis, tmp_path):
    """A Daphne on the private Redis, each test its own: what it logs while stopping (the layer
    letting go of channels on a Redis that restarted) is checked against this module's marks, in
    the test that caused it."""
    server = DaphneServer(redis_url=private_redis.url, log_path=tmp_path / "daphne.log")
    yield server
    if private_redis.process is None:
        private_redis.start()
    server.stop()


def visitor_session(server: DaphneServer, inbox, **fields) -> dict:
    status, session = server.open_session(inbox.public_key, origin=ORIGIN, **fields)
    assert status == 200, session
    return session


class Widget:
    """A customer tab that behaves as docs/protocol.md tells clients to: on a dead socket it opens
    a fresh session with its resume token and reconnects with backoff, re-sends with the same
    client_message_id, and resyncs by seq. `deliveries` records every copy of a message it was
    given (live or by history), so a duplicate would show."""

    def __init__(self, server: DaphneServer, inbox, resume_token: str) -> None:
        self.server, self.inbox, self.resume_token = server, inbox, resume_token
        self.client: Client | None = None
        self.seen: dict[int, str] = {}
        self.deliveries: list[int] = []

    async def connect(self, attempts: int = 30) -> None:
        delay = 0.1
        for _ in range(attempts):
            with contextlib.suppress(OSError, websockets.WebSocketException, TimeoutError, AssertionError):
                session = await asyncio.to_thread(
                    visitor_session, self.server, self.inbox, resume_token=self.resume_token
                )
                client = await Client.connect(self.server, session["connect_token"], origin=ORIGIN)
                if (await client.next_event())["type"] == "hello":
                    self.client = client
                    return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
        raise AssertionError("the widget could not reconnect")

    async def request(self, payload: dict) -> dict:
        for _ in range(10):
            if self.client is None:
                await self.connect()
            try:
                return await self.client.request(payload, timeout=3)
            except (websockets.ConnectionClosed, TimeoutError):
                await self.close()
        raise AssertionError(f"no answer to {payload['type']}")

    async def send(self, body: str, conversation_id: int | None = None) -> dict:
        client_message_id = uuid.uuid4().hex  # the same id on every retry: a resend stores nothing twice
        return await self.request(
            {
                "type": "message.send",
                "conversation_id": conversation_id,
                "body": body,
                "client_message_id": client_message_id,
            }
        )

    async def listen(self, seconds: float) -> None:
        if self.client is None:
            return
        deadline = asyncio.get_running_loop().time() + seconds
        while (remaining := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                event = await self.client.next_event(timeout=remaining)
            except TimeoutError:
                return
            except websockets.ConnectionClosed:
                await self.close()
                return
            if event["type"] == "message.created":
                self.apply(event["message"])

    async def resync(self, conversation_id: int) -> None:
        """The heartbeat tells the latest seq; history.after fills whatever this tab lacks."""
        latest = (await self.request({"type": "ping"}))["seqs"].get(str(conversation_id), 0)
        last = max(self.seen, default=0)
        while last < latest:
            page = await self.request(
                {"type": "history.after", "conversation_id": conversation_id, "after_seq": last}
            )
            for message in page["messages"]:
                self.apply(message)
            last = max([last, *(message["seq"] for message in page["messages"])])
            if not page["has_more"]:
                break

    def apply(self, message: dict) -> None:
        self.deliveries.append(message["seq"])
        self.seen[message["seq"]] = message["body"]

    async def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(websockets.ConnectionClosed):
                await self.client.close()
        self.client = None


def test_nothing_committed_around_a_redis_restart_is_lost_to_a_widget_that_reconnects(private_redis, server):
    """What must hold whatever becomes of the sockets during the outage: a widget that reconnects
    and resyncs by seq, as docs/protocol.md tells it to, ends with every message exactly once."""
    inbox = InboxFactory(name="Website", allowed_origins=ORIGIN)
    agent = AgentProfileFactory(display_name="Ana").user
    session = visitor_session(server, inbox)

    async def journey():
        tab1, tab2 = (
            Widget(server, inbox, session["resume_token"]),
            Widget(server, inbox, session["resume_token"]),
        )
        await tab1.connect(), await tab2.connect()
        before = await tab1.send("before")
        conversation = await sync_to_async(Conversation.objects.get)(pk=before["conversation_id"])
        await tab2.listen(0.5)
        await tab2.resync(conversation.pk)

        await asyncio.to_thread(private_redis.stop)
        # Committed while this server's Redis is down (its event can reach none of these sockets).
        await sync_to_async(services.message_post_reply)(
            conversation=conversation, agent=agent, body="during"
        )
        await asyncio.to_thread(private_redis.start)  # empty: every group membership is gone

        await tab2.resync(conversation.pk)
        after = await tab1.send("after", conversation_id=conversation.pk)
        await tab2.listen(1)  # live if the event gets through...
        await tab2.resync(conversation.pk)  # ...else the next heartbeat finds the gap
        await tab1.close(), await tab2.close()
        return after, tab2

    after, tab2 = asyncio.run(journey())
    assert after["type"] == "message.ack" and after["message"]["seq"] == 3
    assert tab2.seen == {1: "before", 2: "during", 3: "after"}
    assert sorted(tab2.deliveries) == [1, 2, 3]  # none twice
    assert list(Message.objects.order_by("seq").values_list("seq", "body")) == [
        (1, "before"),
        (2, "during"),
        (3, "after"),
    ]


def test_right_after_a_redis_restart_sockets_connect_and_hear_live(private_redis, server):
    inbox = InboxFactory(name="Website", allowed_origins=ORIGIN)
    session = visitor_session(server, inbox)

    async def journey():
        # Use the layer before the restart (patiently: an earlier test may have restarted it too).
        warm1, warm2 = (
            Widget(server, inbox, session["resume_token"]),
            Widget(server, inbox, session["resume_token"]),
        )
        await warm1.connect(), await warm2.connect()
        before = await warm1.send("before")
        await warm2.listen(0.5)
        await warm1.close(), await warm2.close()
        await asyncio.sleep(0.3)  # the server has let go of both sockets

        await asyncio.to_thread(private_redis.stop)
        await asyncio.to_thread(private_redis.start)
        # As docs/protocol.md tells clients: reconnect with backoff. channels_redis's pub/sub layer
        # may spend a few seconds re-establishing its own connection after a restart (its receive
        # task logs redis-py's reconnect racing itself), and a socket opened meanwhile can be cut
        # before its handshake; the next attempt gets through.
        tab1 = Widget(server, inbox, session["resume_token"])
        tab2 = Widget(server, inbox, session["resume_token"])
        await tab1.connect(), await tab2.connect()
        after = await tab1.send("after", conversation_id=before["conversation_id"])
        await tab2.listen(3)  # live only: no resync here
        await tab1.close(), await tab2.close()
        return after, tab2

    after, tab2 = asyncio.run(journey())
    assert after["type"] == "message.ack" and after["message"]["seq"] == 2
    assert tab2.seen == {2: "after"}  # heard live on a socket opened after the restart
