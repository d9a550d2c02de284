"""A socket that hears nothing for longer than the layer's 5 s blocking pop stays alive.

redis-py 8 reads with a 5 s timeout by default, equal to channels-redis's blocking pop: without
an explicit socket_timeout every idle consumer died with 1011 after about five seconds."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from conversations import services
from conversations.models import Conversation
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import InboxFactory

from .harness import Client

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_an_idle_socket_survives_the_layers_blocking_pop_and_still_hears(daphne):
    inbox = InboxFactory(name="Website")
    agent = AgentProfileFactory().user
    status, session = daphne.open_session(inbox.public_key)
    assert status == 200

    async def journey():
        client = await Client.connect(daphne, session["connect_token"])
        await client.next_event()
        ack = await client.send_message("hello")
        await client.wait_for(lambda event: event["type"] == "message.created")
        await asyncio.sleep(12)  # idle well past the 5 s blocking pop, twice
        conversation = await database_sync_to_async(Conversation.objects.get)(pk=ack["conversation_id"])
        await database_sync_to_async(services.message_post_reply)(
            conversation=conversation, agent=agent, body="still here?"
        )
        reply = await client.wait_for(
            lambda event: event["type"] == "message.created" and event["message"]["body"] == "still here?"
        )
        await client.close()
        return reply

    assert asyncio.run(journey())["message"]["seq"] == 2
