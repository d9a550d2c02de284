"""Frames sent to Parley's websockets in-process (Channels' WebsocketCommunicator against the real
ASGI application, its routing and middleware), and what came back: the events, the close code, or
the exception that killed the consumer (which Daphne turns into close 1011)."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from channels.testing import WebsocketCommunicator

from config.asgi import application
from tests.fuzz import hostile

BARRIER_TIMEOUT = 5.0  # the server answers frames in order: a last ping's pong means all were handled


@dataclass
class Exchange:
    sent: list[str | bytes]
    events: list[dict] = field(default_factory=list)  # every JSON frame the server sent before closing
    close_code: int | None = None
    crash: BaseException | None = None
    not_json: list[str | bytes] = field(default_factory=list)
    unanswered: bool = False  # the closing ping got no pong in BARRIER_TIMEOUT, and no close came

    def describe(self) -> str:
        frames = "\n".join(f"  -> {_short(frame)}" for frame in self.sent)
        events = "\n".join(f"  <- {_short(json.dumps(event))}" for event in self.events)
        ending = f"crash {self.crash!r}" if self.crash else f"close {self.close_code}"
        if self.unanswered:
            ending = f"no answer to the closing ping within {BARRIER_TIMEOUT} s"
        return f"frames:\n{frames}\nanswers:\n{events}\nthen {ending}"

    def replies_to(self, ref: object) -> Iterator[dict]:
        return (event for event in self.events if "ref" in event and event["ref"] == ref)


def _short(frame: str | bytes, limit: int = 300) -> str:
    text = repr(frame)
    return text if len(text) <= limit else text[:limit] + f"... ({len(frame)} long)"


def encoded(frame: dict, *, as_bytes: bool, escaped: bool) -> str | bytes:
    """The frame as a client sends it: characters as themselves (what the protocol asks) or as
    JSON escapes, in a text frame or a binary one. A lone surrogate can only travel escaped: a
    text frame is UTF-8 on the wire."""
    try:
        text = json.dumps(frame, ensure_ascii=escaped)
        text.encode()
    except UnicodeEncodeError:
        text = json.dumps(frame)
    except (ValueError, RecursionError):  # nested past what json.dumps writes
        text = hostile.nested_json(3000)
    text = hostile.overflowed(text)
    return text.encode() if as_bytes else text


def up_to_a_close(frames: list[str | bytes], limit: int) -> list[str | bytes]:
    """The frames a client gets to send: none after one over `limit` bytes, which closes the
    socket. (In-process the consumer would still handle later frames; a closed socket carries none.)"""
    for index, frame in enumerate(frames):
        if len(frame.encode() if isinstance(frame, str) else frame) > limit:
            return frames[: index + 1]
    return frames


async def connect(path: str, headers: list[tuple[bytes, bytes]]) -> tuple[WebsocketCommunicator, dict | int]:
    """Open a socket; the first event (hello, or the refusal's error) or the close code."""
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    if not connected:
        return communicator, code
    first = await communicator.receive_output(timeout=5)
    if first["type"] == "websocket.close":
        return communicator, first.get("code", 1000)
    return communicator, json.loads(first["text"])


async def exchange(communicator: WebsocketCommunicator, frames: list[str | bytes], barrier: str) -> Exchange:
    """Send `frames`, then a ping with ref `barrier`; collect everything until its pong, a close,
    or the consumer's death. Frames after a close are not read: a real client gets none."""
    result = Exchange(sent=list(frames))
    try:
        for frame in frames:
            key = "bytes" if isinstance(frame, bytes) else "text"
            await communicator.send_input({"type": "websocket.receive", key: frame})
        await communicator.send_input(
            {"type": "websocket.receive", "text": json.dumps({"type": "ping", "ref": barrier})}
        )
        deadline = asyncio.get_running_loop().time() + BARRIER_TIMEOUT
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            output = await communicator.receive_output(timeout=left)
            if output["type"] == "websocket.close":
                result.close_code = output.get("code", 1000)
                break
            try:
                event = json.loads(output.get("text") or output.get("bytes") or b"")
            except ValueError:
                result.not_json.append(output.get("text") or output.get("bytes"))
                continue
            if isinstance(event, dict) and event.get("type") == "pong" and event.get("ref") == barrier:
                break
            result.events.append(event)
    except TimeoutError:
        result.unanswered = True
    except Exception as crash:  # the consumer raised: Daphne would close the socket with 1011
        result.crash = crash
    return result


def talk(
    loop: asyncio.AbstractEventLoop, path: str, headers: list[tuple[bytes, bytes]], frames: list
) -> Exchange:
    """Open a socket, check its hello, exchange `frames` (see exchange), and close it."""

    async def conversation() -> Exchange:
        communicator, hello = await connect(path, headers)
        assert isinstance(hello, dict) and hello.get("type") == "hello", f"no hello but {hello}"
        try:
            return await exchange(communicator, frames, barrier=f"barrier-{uuid.uuid4().hex}")
        finally:
            await close(communicator)

    return loop.run_until_complete(conversation())


async def close(communicator: WebsocketCommunicator) -> None:
    with contextlib.suppress(Exception, asyncio.CancelledError):  # dead already: the exchange says how
        await communicator.disconnect(timeout=5)


@contextlib.contextmanager
def event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One loop for a test's examples (the channel layer keeps a connection per loop). Its thread
    pool, where the consumers' database work runs, is joined at the end, so the connections those
    threads hold are gone before the test database is flushed or dropped."""
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        left_behind = asyncio.all_tasks(loop)  # a dead consumer's watchdog, say
        for task in left_behind:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*left_behind, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
