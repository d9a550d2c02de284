"""The agent desk's socket (/ws/v1/desk/, docs/protocol.md "Agent desk socket") given frames a
broken desk or a hostile page in an agent's browser sends: the server answers only with events the
document lists, closes only with a documented code (never 1011: a consumer that raised), and the
socket, which only reads, writes no message (the system's own activity lines aside: an agent
coming online may be assigned a waiting conversation)."""

import json

import pytest
from django.test import Client as DjangoClient
from hypothesis import example, given
from hypothesis import strategies as st

from conversations import services
from conversations.models import Message
from conversations.sockets import MAX_FRAME_BYTES
from tests.fuzz import hostile, sockets
from tests.fuzz.conftest import count_case

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

EVENTS = {
    "hello",
    "pong",
    "history",
    "error",
    "message.created",
    "message.updated",
    "conversation.created",
    "conversation.status_changed",
    "conversation.assigned",
    "conversation.updated",
    "conversation.read",
    "contact.typing",
    "agent.viewing",
    "agent.typing",
    "agent.presence",
}
ERROR_CODES = {"unauthorized", "logged_out", "bad_request", "not_found", "too_slow"}
CLOSE_CODES = {4001, 4009, 4011, 4012}
ACTIONS = ("ping", "history.after", "viewing", "typing")


def hostile_value() -> st.SearchStrategy[object]:
    return st.one_of(
        hostile.json_values(max_leaves=6),
        st.floats(),
        st.sampled_from(hostile.NUMBERS),
        st.builds(hostile.nested, st.integers(30, 3000)),
    )


@st.composite
def desk_frames(draw, conversation_id: int) -> str | bytes:
    kind = draw(st.sampled_from(ACTIONS))
    conversation = st.one_of(st.just(conversation_id), st.integers(-1, conversation_id + 2))
    fields = {
        "ping": {"active": st.booleans()},
        "history.after": {
            "conversation_id": conversation,
            "after_seq": st.integers(-1, 5),
            "limit": st.integers(-1, 120),
        },
        "viewing": {"conversation_id": conversation, "viewing": st.booleans()},
        "typing": {"conversation_id": conversation, "typing": st.booleans(), "private": st.booleans()},
    }[kind]
    frame: dict[str, object] = {"type": kind}
    for name, valid in fields.items():
        choice = draw(st.sampled_from(("keep", "keep", "drop", "hostile")))
        if choice != "drop":
            frame[name] = draw(valid) if choice == "keep" else draw(hostile_value())
    if draw(st.booleans()):
        frame["ref"] = draw(st.one_of(st.uuids().map(str), hostile.json_values(max_leaves=3)))
    if draw(st.integers(0, 9)) == 0:
        frame["type"] = draw(st.one_of(hostile.hostile_text(max_size=6), hostile_value()))
    return sockets.encoded(frame, as_bytes=draw(st.integers(0, 9)) == 0, escaped=draw(st.booleans()))


def junk_frames() -> st.SearchStrategy[str | bytes]:
    return st.one_of(
        st.sampled_from(("", "{", "null", "[]", '"ping"', "42", "NaN", '{"type": null}', "{}")),
        st.builds(hostile.nested_json, st.sampled_from((100, 2000, 100_000))),
        st.just(json.dumps({"type": "ping", "padding": "x" * MAX_FRAME_BYTES})),
        st.binary(max_size=40),
    )


@pytest.fixture
def desk(agent, inbox, conversation) -> dict:
    """An agent of `inbox` signed in to the desk, and a conversation there with a message."""
    services.message_receive(
        inbox=inbox, contact=conversation.contact, conversation_id=conversation.pk, body="Hi"
    )
    agent.is_staff = True
    agent.save(update_fields=["is_staff"])
    browser = DjangoClient()
    browser.force_login(agent)
    return {"session": browser.cookies["sessionid"].value, "conversation": conversation}


def written() -> list[dict]:
    return list(Message.objects.exclude(sender_kind=Message.SenderKind.SYSTEM).order_by("pk").values())


def test_a_hostile_desk_gets_only_documented_answers_and_changes_nothing(desk, socket_loop):
    headers = [(b"origin", b"http://testserver"), (b"cookie", f"sessionid={desk['session']}".encode())]
    one = st.one_of(desk_frames(desk["conversation"].pk), desk_frames(desk["conversation"].pk), junk_frames())

    batches = st.lists(one, min_size=1, max_size=5).map(
        lambda frames: sockets.up_to_a_close(frames, MAX_FRAME_BYTES)
    )

    @given(frames=batches)
    @example(frames=[hostile.nested_json(100_000)])
    @example(frames=['{"type": "history.after", "conversation_id": Infinity, "ref": 1}'])
    @example(
        frames=['{"type": "viewing", "conversation_id": 1e400}', '{"type": "typing", "conversation_id": NaN}']
    )
    def examples(frames: list[str | bytes]) -> None:
        count_case("desk socket frame batches")
        before = written()

        exchange = sockets.talk(socket_loop, "/ws/v1/desk/", headers, frames)
        where = exchange.describe()
        assert exchange.crash is None, f"the consumer raised (Daphne closes with 1011)\n{where}"
        assert exchange.close_code in CLOSE_CODES | {None}, f"closed with {exchange.close_code}\n{where}"
        assert not exchange.unanswered, where
        for event in exchange.events:
            assert isinstance(event, dict) and event.get("type") in EVENTS, f"undocumented {event}\n{where}"
            if event["type"] == "error":
                assert event.get("code") in ERROR_CODES, f"error {event.get('code')!r}\n{where}"
        assert written() == before, where

    examples()
