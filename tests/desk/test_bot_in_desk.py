"""The answer bot in the desk: a conversation the bot holds says "With bot" in the list and the
header and is nobody's wait; the bot's messages show the bot and the replies it offered; its
hand-off summary is a private note like the others; and the desk socket passes conversation.handed_off
on with the fields static/desk/bot.js updates the page from.

The bot here is the core's own hook (registry.register_answer_bot) with a recorder behind it: the
desk never imports the answer bot, and the test speaks for the bot through the core's services
(message_post_bot, conversation_hand_off), exactly as answerbot does.
"""

import asyncio
import json
import re

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client as DjangoClient

from config.asgi import application
from conversations import registry, services
from conversations.event_catalogue import EventType
from conversations.models import Conversation, Message
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = pytest.mark.django_db

OFFERED = [
    {"id": "solved", "title": "Yes, that solved it"},
    {"id": "not_solved", "title": "No, talk to a person"},
]
SUMMARY = (
    "Handed off: the customer asked for a person.\nQuestion: where is my parcel?\nOffered: Track your order"
)
# What static/desk/bot.js reads off the event (onHandedOff).
READ_BY_THE_DESK = {"type", "conversation_id", "seq", "assignee_id", "reason"}


class RecordingBot:
    """An answer bot in `inboxes`, registered through the core's hook; `turns` are the turns the
    core asked of it, by conversation (the test takes them itself, with the core's services)."""

    def __init__(self, *inbox_ids: int) -> None:
        self.inboxes = set(inbox_ids)
        self.turns: list[int] = []

    def takes(self, inbox_id: int) -> bool:
        return inbox_id in self.inboxes


@pytest.fixture
def answer_bot(monkeypatch, inbox) -> RecordingBot:
    for name in ("_answer_bot_takes", "_answer_bot_turn"):  # the real bot's hook is back after the test
        monkeypatch.setattr(registry, name, getattr(registry, name))
    bot = RecordingBot(inbox.pk)
    registry.register_answer_bot(takes=bot.takes, turn=bot.turns.append)
    return bot


@pytest.fixture
def desk_client(client, agent):
    client.force_login(agent)
    return client


def customer_asks(inbox, text: str, contact=None) -> Conversation:
    message = services.message_receive(inbox=inbox, contact=contact or ContactFactory(), body=text)
    return Conversation.objects.get(pk=message.conversation_id)


def row_of(html: str, conversation: Conversation) -> str:
    found = re.search(rf'<li class="row[^"]*" data-conversation-id="{conversation.pk}".*?</li>', html, re.S)
    assert found, f"no row for #{conversation.pk}"
    return found.group(0)


def test_a_conversation_the_bot_holds_says_with_bot_and_is_nobodys_wait(
    desk_client, agent, inbox, answer_bot, clock
):
    held = customer_asks(inbox, "where is my parcel?")
    assert held.bot_active
    no_bot = InboxFactory(name="No bot here")
    InboxMembershipFactory(inbox=no_bot, agent=agent)
    with_people = customer_asks(no_bot, "hello")
    assert not with_people.bot_active
    clock.advance(minutes=12)

    html = desk_client.get("/desk/list/", {"view": "all"}).content.decode()
    bot_row, people_row = row_of(html, held), row_of(html, with_people)
    assert "With bot" in bot_row and 'data-bot="on"' in bot_row
    assert 'class="waiting"' not in bot_row and "unread-count" not in bot_row  # not a wait for an agent
    assert 'class="held-count"' in bot_row and 'class="row"' in bot_row  # not styled unread either
    assert (
        "With bot" not in people_row
        and '<span class="waiting" title="Waiting for a reply">12m</span>' in people_row
    )
    assert 'class="unread-count"' in people_row
    header = desk_client.get(f"/desk/c/{held.pk}/header/").content.decode()
    assert 'id="conv-bot"' in header and "With bot" in header


def test_the_bots_messages_show_the_bot_and_the_replies_it_offered_as_chips(desk_client, inbox, answer_bot):
    held = customer_asks(inbox, "where is my parcel?")
    services.message_post_bot(
        conversation_id=held.pk, body="This might help: Track your order", actions=OFFERED
    )
    html = desk_client.get(f"/desk/c/{held.pk}/").content.decode()
    bot_entry = re.search(r'<li class="entry message bot".*?</li>\n', html, re.S).group(0)
    assert "Answer bot" in bot_entry and 'class="bot-mark"' in bot_entry
    chips = re.findall(r'<li class="chip">([^<]*)</li>', bot_entry)
    assert chips == ["Yes, that solved it", "No, talk to a person"]
    assert "<button" not in bot_entry.split('class="offered"')[1].split("</ul>")[0]  # read-only
    listed = desk_client.get("/desk/list/", {"view": "all"}).content.decode()
    assert "Bot: This might help" in row_of(listed, held)


def test_the_hand_off_summary_is_a_private_note_and_the_conversation_waits_for_a_person(
    desk_client, inbox, answer_bot
):
    held = customer_asks(inbox, "where is my parcel?")
    assert services.conversation_hand_off(
        conversation_id=held.pk,
        reason="asked_for_person",
        customer_text="Passing you to a person.",
        summary=SUMMARY,
    )
    html = desk_client.get(f"/desk/c/{held.pk}/").content.decode()
    note = re.search(r'<li class="entry message system note".*?</li>\n', html, re.S).group(0)
    assert "Bot summary" in note and "Private note" in note
    assert "Question: where is my parcel?<br>Offered: Track your order" in note
    assert 'id="conv-bot"' not in html
    listed = desk_client.get("/desk/list/", {"view": "all"}).content.decode()
    row = row_of(listed, held)
    assert "With bot" not in row and 'class="waiting"' in row and 'class="unread-count"' in row


def test_the_desk_socket_passes_the_hand_off_on_with_what_the_page_reads(inbox, answer_bot, transactional_db):
    ana = AgentProfileFactory(display_name="Ana").user
    InboxMembershipFactory(inbox=inbox, agent=ana)
    outsider = AgentProfileFactory(display_name="Bo").user
    InboxMembershipFactory(inbox=InboxFactory(name="Elsewhere"), agent=outsider)
    held = customer_asks(inbox, "where is my parcel?")

    async def desk_of(user) -> WebsocketCommunicator:
        browser = DjangoClient()
        await database_sync_to_async(browser.force_login)(user)
        cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
        socket = WebsocketCommunicator(
            application, "/ws/v1/desk/", headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)]
        )
        assert (await socket.connect(timeout=5))[0]
        assert json.loads((await socket.receive_output(timeout=5))["text"])["type"] == "hello"
        return socket

    async def events_until_quiet(socket: WebsocketCommunicator) -> list[dict]:
        events = []
        while not await socket.receive_nothing(timeout=1.0):
            output = await socket.receive_output()
            assert output["type"] == "websocket.send", output  # never closed by an unknown event
            events.append(json.loads(output["text"]))
        return events

    async def journey() -> tuple[list[dict], list[dict], dict]:
        ana_desk, outsider_desk = await desk_of(ana), await desk_of(outsider)
        await database_sync_to_async(services.conversation_hand_off)(
            conversation_id=held.pk, reason="asked_for_person", customer_text="", summary=SUMMARY
        )
        heard, overheard = await events_until_quiet(ana_desk), await events_until_quiet(outsider_desk)
        await ana_desk.send_json_to({"type": "ping", "ref": "still-there"})
        pong = json.loads((await ana_desk.receive_output(timeout=5))["text"])
        while pong.get("ref") != "still-there":  # a late presence event may come first when busy
            pong = json.loads((await ana_desk.receive_output(timeout=5))["text"])
        for socket in (ana_desk, outsider_desk):
            await socket.disconnect()
        return heard, overheard, pong

    heard, overheard, pong = asyncio.run(journey())
    [handed] = [event for event in heard if event["type"] == EventType.CONVERSATION_HANDED_OFF]
    assert set(handed) >= READ_BY_THE_DESK
    held.refresh_from_db()
    assert (handed["conversation_id"], handed["reason"], handed["assignee_id"]) == (
        held.pk,
        "asked_for_person",
        None,
    )
    summary = Message.objects.get(
        conversation=held, sender_kind="system", content_type="text", is_private=True
    )
    assert handed["seq"] == summary.seq  # an open thread fetches what follows its last seq: the note
    assert not held.bot_active
    assert not any(event.get("conversation_id") == held.pk for event in overheard)
    assert pong["type"] == "pong"
