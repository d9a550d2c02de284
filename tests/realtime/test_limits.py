"""What the customer's socket does with abuse, through a real Daphne: frame size, garbage, floods.

Limits (docs/protocol.md): frames up to 128 KiB of UTF-8, about 100 actions a minute with bursts of 20, and a
socket that keeps sending garbage or breaking the rate limit is closed with 4008.
"""

import asyncio
import contextlib
import json

import pytest
import websockets

from config.management.commands.serve import WEBSOCKET_MAX_BYTES
from conversations.models import Message
from conversations.sockets import MAX_FRAME_BYTES
from customer_clients.protocol import Close
from tests.factories.conversations import InboxFactory

from .harness import Client

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = "https://shop.example.com"
LIMIT = MAX_FRAME_BYTES


@pytest.fixture
def widget_inbox():
    return InboxFactory(name="Website", allowed_origins=ORIGIN)


async def visitor(daphne, inbox) -> Client:
    status, session = await asyncio.to_thread(daphne.open_session, inbox.public_key, ORIGIN)
    assert status == 200, session
    client = await Client.connect(daphne, session["connect_token"], origin=ORIGIN)
    assert (await client.next_event())["type"] == "hello"
    return client


def padded_ping(size: int, ref: str = "big") -> str:
    """A ping frame of exactly `size` bytes (the consumer ignores fields it does not know)."""
    frame = json.dumps({"type": "ping", "ref": ref, "pad": ""})
    return frame[:-2] + "x" * (size - len(frame)) + '"}'


async def assert_server_healthy(daphne, inbox) -> None:
    """Another visitor on the same server still opens a socket, sends and is acked."""
    client = await visitor(daphne, inbox)
    ack = await client.send_message("still there?")
    assert (ack["type"], ack["message"]["seq"]) == ("message.ack", 1)
    await client.close()


async def send_over_the_limit(daphne, inbox) -> tuple[int, dict, dict, int | None]:
    """A frame at the limit, then a message just over it (under Daphne's own cap, so the application is
    the one refusing): (size of the first, its answer, the answer to the second, close code)."""
    client = await visitor(daphne, inbox)
    at_limit = padded_ping(LIMIT, ref="at-limit")
    await client.socket.send(at_limit)
    pong = await client.wait_for(lambda event: event.get("ref") == "at-limit")
    over = json.dumps(
        {"type": "message.send", "client_message_id": "oversized-1", "body": "x" * LIMIT, "ref": "o"}
    )
    assert LIMIT < len(over.encode()) < WEBSOCKET_MAX_BYTES
    await client.socket.send(over)
    error = await client.next_event()
    close_code = await client.closed()
    await assert_server_healthy(daphne, inbox)
    return len(at_limit.encode()), pong, error, close_code


def test_a_frame_over_the_limit_is_refused_and_the_socket_closed(daphne, widget_inbox):
    at_limit_size, pong, error, close_code = asyncio.run(send_over_the_limit(daphne, widget_inbox))
    assert at_limit_size == LIMIT and pong["type"] == "pong"  # the limit itself is allowed
    assert (error["type"], error["code"]) == ("error", "too_big")
    assert close_code is not None
    assert not Message.objects.filter(client_message_id="oversized-1").exists()


def test_a_frame_over_the_limit_closes_with_the_protocols_too_big_code(daphne, widget_inbox):
    *_, close_code = asyncio.run(send_over_the_limit(daphne, widget_inbox))
    assert close_code == Close.TOO_BIG == 4009


def test_a_frame_over_daphnes_cap_is_refused_by_the_server_itself(daphne, widget_inbox):
    async def journey():
        client = await visitor(daphne, widget_inbox)
        with contextlib.suppress(websockets.ConnectionClosed):
            await client.socket.send(padded_ping(WEBSOCKET_MAX_BYTES + 64 * 1024))
        received = await client.quiet(2)
        close_code = await client.closed()
        await assert_server_healthy(daphne, widget_inbox)
        return received, close_code

    received, close_code = asyncio.run(journey())
    assert received == []  # never reached the application
    # Daphne's autobahn fails an over-size message by dropping the TCP connection (failByDrop), so
    # the client sees 1006 rather than a 1009 close frame; either way the frame went nowhere.
    assert close_code in (1006, 1009)


def test_garbage_is_answered_with_bad_request_and_the_socket_stays_open(daphne, widget_inbox):
    frames = [
        "{not json",
        "",
        "[]",
        '"ping"',
        "null",
        json.dumps({"no": "type"}),
        json.dumps({"type": "launch.missiles", "ref": "u"}),
        json.dumps({"type": "history.after", "conversation_id": "abc", "ref": "h"}),
        json.dumps({"type": "message.send", "body": "no client id", "ref": "m"}),
    ]

    async def journey():
        client = await visitor(daphne, widget_inbox)
        answers = []
        for frame in frames:
            await client.socket.send(frame)
            answers.append(await client.next_event())
        pong = await client.request({"type": "ping"})
        ack = await client.send_message("a real question")
        await client.close()
        return answers, pong, ack

    answers, pong, ack = asyncio.run(journey())
    assert [(answer["type"], answer["code"]) for answer in answers] == [("error", "bad_request")] * len(
        frames
    )
    assert pong["type"] == "pong"
    assert ack["type"] == "message.ack"
    assert Message.objects.count() == 1


async def burst(daphne, inbox, size: int) -> tuple[list[dict], int | None, dict | None]:
    """`size` pings as fast as possible, then a pause and one more: (answers to the burst, close code
    if the server closed the socket, the answer to the later ping)."""
    client = await visitor(daphne, inbox)
    with contextlib.suppress(websockets.ConnectionClosed):  # the server may close it midway
        for n in range(size):  # without waiting for answers
            await client.socket.send(json.dumps({"type": "ping", "ref": f"burst-{n}"}))
    answers = await client.quiet(0.7)
    pong = None
    if client.socket.close_code is None:
        await asyncio.sleep(1)  # a token or two come back (one every 0.6 s)
        pong = await client.request({"type": "ping"})
        await client.close()
    await assert_server_healthy(daphne, inbox)
    return answers, client.socket.close_code if pong is None else None, pong


def check_burst(result: tuple[list[dict], int | None, dict | None], size: int) -> None:
    answers, closed, pong = result
    pongs = [answer for answer in answers if answer["type"] == "pong"]
    limited = [answer for answer in answers if answer.get("code") == "rate_limited"]
    assert limited, f"no rate_limited error for {size} actions in a burst"
    assert all(0 <= answer["retry_after_ms"] <= 600 for answer in limited)  # when to send again
    assert 0 < len(pongs) < size
    assert len(pongs) + len(limited) == size  # each action is answered once, one way or the other
    assert closed is None, f"closed with {closed}"
    assert pong is not None and pong["type"] == "pong"


def test_a_burst_of_actions_is_rate_limited_and_the_socket_recovers(daphne, widget_inbox):
    check_burst(asyncio.run(burst(daphne, widget_inbox, 30)), 30)


def test_a_client_that_keeps_flooding_is_closed_with_4008(daphne, widget_inbox):
    """100 actions at once: 20 fit the burst, and the rest, refused faster than the bucket refills
    (one every 0.6 s), are strikes enough in a row to close the socket."""
    answers, closed, pong = asyncio.run(burst(daphne, widget_inbox, 100))
    assert closed == 4008
    assert pong is None
    assert [answer.get("code") for answer in answers].count("rate_limited") >= 20


def test_occasional_bad_frames_between_good_actions_do_not_close_the_socket(daphne, widget_inbox):
    """Twenty bad frames, but never twenty in a row: a good action in between wipes the slate."""

    async def journey():
        client = await visitor(daphne, widget_inbox)
        answers = []
        for round_ in range(2):
            for n in range(10):
                await client.socket.send(f"garbage {round_}.{n}")
                answers.append(await client.next_event())
            answers.append(await client.request({"type": "ping"}))
            await asyncio.sleep(1.5)  # stay within the rate limit: this is about strikes
        still_open = client.socket.close_code is None
        pong = await client.request({"type": "ping"})
        await client.close()
        return answers, still_open, pong

    answers, still_open, pong = asyncio.run(journey())
    assert [answer.get("code") for answer in answers].count("bad_request") == 20
    assert still_open and pong["type"] == "pong"


def test_a_socket_that_keeps_sending_garbage_is_closed_with_4008(daphne, widget_inbox):
    async def journey():
        client = await visitor(daphne, widget_inbox)
        with contextlib.suppress(websockets.ConnectionClosed):  # it may close before all 25 went out
            for n in range(25):
                await client.socket.send(f"garbage {n}")
        received = await client.quiet(1)
        close_code = await client.closed()
        await assert_server_healthy(daphne, widget_inbox)
        return received, close_code

    received, close_code = asyncio.run(journey())
    assert received and {event["code"] for event in received} <= {"bad_request", "rate_limited"}
    assert close_code == 4008
