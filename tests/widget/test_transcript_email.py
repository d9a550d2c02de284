"""A messaging conversation's transcript by email, asked for over the customer's socket: the whole
conversation goes to the contact's address, never a private note."""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.utils import timezone

from config.asgi import application
from conversations import services
from conversations.models import LiveSession
from conversations.tasks import send_transcript
from customer_clients.visitors import visitor_session_open
from tests.factories.conversations import InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)


def ask_for_transcripts(token: str, conversation_id: int, times: int) -> list[dict]:
    async def journey() -> list[dict]:
        socket = WebsocketCommunicator(application, f"/ws/v1/client/?token={token}")
        assert (await socket.connect(timeout=5))[0]
        assert json.loads((await socket.receive_output(timeout=5))["text"])["type"] == "hello"
        replies = []
        for ref in range(times):
            request = {"type": "transcript.request", "ref": ref, "conversation_id": conversation_id}
            await socket.send_json_to({**request, "email": "kim@example.com"})
            while (reply := await socket.receive_json_from(timeout=5)).get("ref") != ref:
                pass  # an event between the replies
            replies.append(reply)
        await socket.disconnect()
        return replies

    return asyncio.run(journey())


def test_a_messaging_conversation_is_emailed_whole_even_after_a_live_chat_of_its_inbox(agent, inbox):
    session = visitor_session_open(inbox=inbox)
    contact = session.contact
    conversation = services.message_receive(
        inbox=inbox, contact=contact, body="Where is order 1042?"
    ).conversation
    services.message_post_reply(conversation=conversation, agent=agent, body="It left on Monday.")
    now = timezone.now()  # the inbox ran live chats for a while: this chat of the conversation ended
    LiveSession.objects.create(
        conversation=conversation,
        inbox=inbox,
        kind=LiveSession.Kind.LIVE,
        opened_at=now,
        last_activity_at=now,
        closed_at=now,
        close_reason=LiveSession.CloseReason.CUSTOMER_LEFT,
    )
    services.message_receive(
        inbox=inbox, contact=contact, conversation_id=conversation.pk, body="Still nothing"
    )
    services.message_post_reply(
        conversation=conversation, agent=agent, body="Customer is cross", is_private=True
    )
    services.message_post_reply(conversation=conversation, agent=agent, body="A new one is on its way.")

    replies = ask_for_transcripts(session.connect_token, conversation.pk, times=2)

    assert replies == [
        {"type": "transcript.queued", "ref": ref, "email": "kim@example.com"} for ref in (0, 1)
    ]
    contact.refresh_from_db()
    assert contact.email == "kim@example.com"  # the address given became the contact's
    assert send_transcript(conversation.pk, contact.email) == 4  # the queued job's work, run here
    [email] = mail.outbox
    assert email.to == ["kim@example.com"] and email.subject == "Your conversation with Acme Support"
    for line in ("You:\nWhere is order 1042?", "Ana:\nIt left on Monday.", "You:\nStill nothing"):
        assert line in email.body
    assert "Ana:\nA new one is on its way." in email.body
    assert "Customer is cross" not in email.body


@pytest.fixture
def inbox():
    return InboxFactory(name="Acme Support")
