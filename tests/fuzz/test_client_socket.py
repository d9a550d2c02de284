"""The customer's socket (/ws/v1/client/, docs/protocol.md) given frames a broken or hostile client
sends: known actions with fields of the wrong kind, huge numbers, NaN, deep nesting, NUL, lone
surrogates, emoji, right-to-left and combining text; unknown types; text that is not JSON.

Whatever arrives, the server answers only with events the protocol defines, an `error` carries a
documented code (never `internal`, which means a server fault), the socket is closed only with a
documented close code (never 1011, which Daphne sends when a consumer raises), and a refused
message stored nothing: no message, and no conversation left without one.
"""

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conversations import services
from conversations.models import Conversation, Inbox, Message
from conversations.sockets import MAX_FRAME_BYTES
from customer_clients.visitors import visitor_session_open
from tests.factories.conversations import InboxFactory
from tests.fuzz import hostile, sockets
from tests.fuzz.conftest import count_case

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

EVENTS = {
    # replies
    "hello",
    "message.ack",
    "history",
    "conversations",
    "pong",
    "session.end",
    "transcript.queued",
    "error",
    # announcements of committed changes
    "message.created",
    "message.updated",
    "conversation.created",
    "conversation.status_changed",
    "conversation.assigned",
    "conversation.read",
    "agent.typing",
    "session.queued",
    "session.ended",
    "event.fetch",
}
REPLIES = {"message.ack", "history", "conversations", "pong", "session.end", "transcript.queued", "error"}
ERROR_CODES = {
    "bad_request",
    "not_found",
    "rate_limited",
    "too_big",
    "invalid",
    "token_invalid",
    "token_expired",
    "identity_changed",
    "origin_forbidden",
    "too_slow",
}  # and `internal`, documented as a server fault: never the answer to anything a client sends
CLOSE_CODES = {4001, 4003, 4008, 4009, 4010, 4011}
ACTIONS = (
    "message.send",
    "history.after",
    "history.before",
    "conversations.list",
    "read",
    "typing",
    "ping",
    "presence",
    "session.end",
    "transcript.request",
)


def identifiers(known: int) -> st.SearchStrategy[object]:
    return st.one_of(st.just(known), st.integers(-2, known + 2), st.none())


@st.composite
def fields_of(draw, kind: str, conversation_id: int) -> dict:
    """Fields a well-meaning client would send with `kind` (docs/protocol.md)."""
    conversation = identifiers(conversation_id)
    number = st.integers(-1, 120)
    text = st.one_of(st.sampled_from(("Hello", "Où est ma commande ?", "  ")), hostile.hostile_text())
    fields = {
        "message.send": {
            "conversation_id": st.one_of(conversation, st.none()),
            "client_message_id": st.one_of(st.uuids().map(str), st.text(min_size=8, max_size=64)),
            "body": st.one_of(text, hostile.long_text(20_000)),
        },
        "history.after": {"conversation_id": conversation, "after_seq": number, "limit": number},
        "history.before": {"conversation_id": conversation, "before_seq": number, "limit": number},
        "conversations.list": {},
        "read": {"conversation_id": conversation, "seq": number},
        "typing": {"conversation_id": conversation, "typing": st.booleans()},
        "ping": {},
        "presence": {"state": st.sampled_from(("here", "away"))},
        "session.end": {"conversation_id": conversation},
        "transcript.request": {
            "conversation_id": conversation,
            "email": st.one_of(st.emails(), st.just("kim@example.com"), text),
        },
    }[kind]
    return {name: draw(value) for name, value in fields.items()}


def hostile_value() -> st.SearchStrategy[object]:
    return st.one_of(
        hostile.json_values(max_leaves=6),
        st.floats(),  # NaN and Infinity too: Python's JSON writes them, and reads them back
        st.sampled_from(hostile.NUMBERS),
        st.builds(hostile.nested, st.integers(30, 3000)),
    )


@st.composite
def action_frames(draw, conversation_id: int) -> str | bytes:
    """One client action, each field kept, dropped, or replaced by something hostile."""
    kind = draw(st.sampled_from(ACTIONS))
    frame: dict[str, object] = {"type": kind}
    for name, value in draw(fields_of(kind, conversation_id)).items():
        choice = draw(st.sampled_from(("keep", "keep", "drop", "hostile")))
        if choice == "keep":
            frame[name] = value
        elif choice == "hostile":
            frame[name] = draw(hostile_value())
    if draw(st.booleans()):
        frame["ref"] = draw(st.one_of(st.uuids().map(str), st.integers(), hostile.json_values(max_leaves=3)))
    if draw(st.integers(0, 9)) == 0:
        frame["type"] = draw(st.one_of(hostile.hostile_text(max_size=6), hostile_value()))
    if draw(st.integers(0, 9)) == 0:
        frame[draw(hostile.hostile_text(max_size=4))] = draw(hostile_value())
    return sockets.encoded(frame, as_bytes=draw(st.integers(0, 9)) == 0, escaped=draw(st.booleans()))


def malformed_frames() -> st.SearchStrategy[str | bytes]:
    """Frames no server could read as an action: each one is a strike."""
    return st.one_of(
        st.sampled_from(("", "{", "null", "[]", "[1, 2]", '"ping"', "42", "NaN", '{"type": null}', "{}")),
        st.builds(lambda depth: "[" * depth + "]" * depth, st.sampled_from((100, 2000, 100_000))),
        st.builds(hostile.nested_json, st.sampled_from((100, 2000, 100_000))),
        st.binary(max_size=40),
        hostile.hostile_text().map(lambda text: json.dumps(text)),
    )


def junk_frames() -> st.SearchStrategy[str | bytes]:
    too_big = json.dumps({"type": "ping", "padding": "x" * MAX_FRAME_BYTES})
    return st.one_of(malformed_frames(), st.just(too_big))


def frame_batches(conversation_id: int) -> st.SearchStrategy[list[str | bytes]]:
    one = st.one_of(action_frames(conversation_id), action_frames(conversation_id), junk_frames())
    return st.one_of(
        st.lists(one, min_size=1, max_size=5).map(
            lambda frames: sockets.up_to_a_close(frames, MAX_FRAME_BYTES)
        ),
        st.lists(malformed_frames(), min_size=20, max_size=22),  # enough strikes to be closed with 4008
    )


@pytest.fixture(params=[Inbox.Mode.MESSAGING, Inbox.Mode.LIVE], ids=["messaging inbox", "live inbox"])
def visitor(request) -> dict:
    """A visitor of a widget inbox with one conversation already."""
    inbox = InboxFactory(name="Website", mode=request.param)
    session = visitor_session_open(inbox=inbox)
    contact = session.contact
    conversation = services.message_receive(inbox=inbox, contact=contact, body="First").conversation
    return {
        "inbox": inbox,
        "resume_token": session.resume_token,
        "contact": contact,
        "conversation": conversation,
    }


def stored_for(contact) -> tuple[set[int], set[int]]:
    """The ids of the messages the contact wrote, and of their conversations with no message at
    all (the system's own lines, a live chat ending say, are not the client's to acknowledge)."""
    written = Message.objects.filter(conversation__contact=contact, sender_kind=Message.SenderKind.CONTACT)
    messages = set(written.values_list("pk", flat=True))
    empty = set(
        Conversation.objects.filter(contact=contact, messages__isnull=True).values_list("pk", flat=True)
    )
    return messages, empty


def test_a_hostile_client_gets_only_documented_answers_and_stores_nothing_it_was_refused(
    visitor, socket_loop
):
    @given(frames=frame_batches(visitor["conversation"].pk))
    @example(frames=[hostile.nested_json(100_000)])
    @example(frames=['{"type": "history.after", "conversation_id": Infinity, "ref": 1}'])
    @example(frames=['{"type": "history.after", "conversation_id": 1e400, "ref": 1}'])
    @example(
        frames=[
            '{"type": "message.send", "client_message_id": "c-0000001", "body": "a\\u0000b", "ref": "nul"}'
        ]
    )
    def examples(frames: list[str | bytes]) -> None:
        count_case("customer socket frame batches")
        token = visitor_session_open(
            inbox=visitor["inbox"], resume_token=visitor["resume_token"]
        ).connect_token
        before, _ = stored_for(visitor["contact"])

        exchange = sockets.talk(socket_loop, f"/ws/v1/client/?token={token}", [], frames)
        after, empty = stored_for(visitor["contact"])
        assert_documented(exchange)
        acked = {event["message"]["id"] for event in exchange.events if event["type"] == "message.ack"}
        assert after - before <= acked, f"stored messages that were never acknowledged\n{exchange.describe()}"
        assert not empty, f"conversations {empty} were started with no message\n{exchange.describe()}"
        for ref in unstorable_sends(exchange):
            answers = [event["type"] for event in exchange.replies_to(ref)]
            assert "message.ack" not in answers, (
                f"a body Postgres cannot store was acknowledged\n{exchange.describe()}"
            )

    examples()


def unstorable_sends(exchange: sockets.Exchange) -> list[str]:
    """The refs of message.send frames whose body holds NUL or a lone surrogate: the protocol
    refuses them (bad_request naming the field), never stores them cut or changed."""
    refs = []
    for frame in exchange.sent:
        try:
            request = json.loads(frame)
        except (ValueError, RecursionError):
            continue
        if (
            isinstance(request, dict)
            and request.get("type") == "message.send"
            and isinstance(request.get("ref"), str)
            and isinstance(request.get("body"), str)
            and hostile.unstorable(request["body"])
        ):
            refs.append(request["ref"])
    return refs


def assert_documented(exchange: sockets.Exchange) -> None:
    where = exchange.describe()
    assert exchange.crash is None, f"the consumer raised (Daphne closes with 1011)\n{where}"
    assert exchange.close_code in CLOSE_CODES | {None}, f"closed with {exchange.close_code}\n{where}"
    assert not exchange.unanswered, where
    assert not exchange.not_json, f"frames that are not JSON: {exchange.not_json}\n{where}"
    for event in exchange.events:
        assert isinstance(event, dict) and event.get("type") in EVENTS, f"undocumented {event}\n{where}"
        if event["type"] == "error":
            assert event.get("code") in ERROR_CODES, f"error {event.get('code')!r}\n{where}"
            assert isinstance(event.get("detail"), str), where
        if event["type"] in REPLIES:
            assert canonical(event.get("ref")) in sent_refs(exchange), (
                f"a reply to no request: {event}\n{where}"
            )


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def sent_refs(exchange: sockets.Exchange) -> set[str]:
    """The refs the frames carried, as sent or with what cannot be sent back replaced, and null."""
    refs = {canonical(None)}
    for frame in exchange.sent:
        try:
            request = json.loads(frame)
        except (ValueError, RecursionError):
            continue
        if isinstance(request, dict) and "ref" in request:
            refs.add(canonical(request["ref"]))
            refs.add(canonical(hostile.unstorable_replaced(request["ref"])))  # echoed as it can be
    return refs
