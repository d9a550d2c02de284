"""A consumer that closed its socket handles nothing the client sent meanwhile. Daphne stops
delivering frames once it sends the close; an ASGI server that delivered the ones already in
flight must not get a message stored with no ack to tell the client."""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from conversations.models import Message
from conversations.sockets import MAX_FRAME_BYTES
from customer_clients.visitors import visitor_session_open
from tests.factories.conversations import InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_frames_behind_one_that_closed_the_socket_are_not_handled():
    token = visitor_session_open(inbox=InboxFactory(name="Website")).connect_token

    async def journey() -> list[dict]:
        socket = WebsocketCommunicator(application, f"/ws/v1/client/?token={token}")
        assert (await socket.connect(timeout=5))[0]
        assert json.loads((await socket.receive_output(timeout=5))["text"])["type"] == "hello"
        frames = [
            json.dumps({"type": "ping", "pad": "x" * MAX_FRAME_BYTES}),
            json.dumps({"type": "message.send", "client_message_id": "behind-the-close", "body": "hi"}),
        ]
        for frame in frames:
            await socket.send_input({"type": "websocket.receive", "text": frame})
        outputs = []
        while not await socket.receive_nothing(timeout=1):
            outputs.append(await socket.receive_output())
        await socket.disconnect()
        return outputs

    outputs = asyncio.run(journey())
    assert [json.loads(output["text"])["code"] for output in outputs if "text" in output] == ["too_big"]
    assert outputs[-1] == {"type": "websocket.close", "code": 4009}
    assert not Message.objects.filter(client_message_id="behind-the-close").exists()
