"""What every Parley websocket consumer shares: database work on the thread pool, JSON events
sized to fit a frame, refusals with a code, and closing a socket that fell too far behind so its
client resyncs.

Frames are sized by what is sent: events are UTF-8 JSON (no `\\u` escapes, which made one emoji
12 bytes), every limit counts encoded bytes, a history page holds what fits one frame, and an
event that still would not fit goes out as `event.fetch`, a reference the client fetches with
`history.after`: a stored message never closes a socket."""

import json

from autobahn.exception import Disconnected as ClientGone  # what Daphne raises on a closed socket
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async as _database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import events
from .event_catalogue import EventType

# What a client may send in one frame, and the most the server sends in one: the longest message
# (20,000 characters of 4-byte UTF-8) fits with room to spare. Daphne's own limit
# (config.management.commands.serve.WEBSOCKET_MAX_BYTES) is above it, so the application always
# answers an oversize frame itself, with its documented 4009.
MAX_FRAME_BYTES = 128 * 1024
# A history page's messages: what fits one frame beside the page's other fields.
PAGE_BYTES = MAX_FRAME_BYTES - 8 * 1024


class Close:
    """Every websocket close code Parley sends, on both sockets (4000-4999 are the application's;
    docs/protocol.md lists them for clients)."""

    UNAUTHORIZED = 4001  # no, bad or expired token or session, or the visitor no longer exists
    FORBIDDEN_ORIGIN = 4003  # the page's Origin is not allowed for this inbox
    POLICY = 4008  # kept breaking the rate limit or sending malformed frames
    TOO_BIG = 4009  # a frame over MAX_FRAME_BYTES (1009 is reserved to the websocket server)
    IDENTITY_CHANGED = 4010  # the visitor was linked to another contact: open a new session
    TOO_SLOW = 4011  # events reached this socket too late: reconnect and resync from the last seq
    LOGGED_OUT = 4012  # the desk's session ended (logout) or its agent was deactivated


# What a bounded channel layer (config.channel_layer) queues, in place of everything it held, for a
# socket that stopped reading: it missed events.
LAYER_OVERFLOW = "layer.overflow"


def encode(payload: object) -> str:
    """An event as sent: compact UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def fits_a_frame(text: str) -> bool:
    """Whether `text` is at most MAX_FRAME_BYTES of UTF-8; the encoding is skipped where the
    length alone settles it (a character is at most 4 bytes), as it does for nearly every event."""
    return len(text) * 4 <= MAX_FRAME_BYTES or len(text.encode()) <= MAX_FRAME_BYTES


def fit_page(items: list[dict], *, keep_last: bool = False) -> tuple[list[dict], bool]:
    """The items of a history page that fit PAGE_BYTES (the first ones, or the last ones for a
    page read backwards), never fewer than one, and whether any had to be left for the next page."""
    kept: list[dict] = []
    used = 0
    for item in reversed(items) if keep_last else items:
        used += len(encode(item).encode()) + 1  # and its comma
        if kept and used > PAGE_BYTES:
            break
        kept.append(item)
    left_out = len(kept) < len(items)
    return (kept[::-1] if keep_last else kept), left_out


def fetch_reference(payload: dict) -> dict:
    """What goes out in place of an event too big for a frame: which conversation changed, up to
    which seq, and the request it answers, so the client fetches it with `history.after`."""
    return {
        "type": EventType.EVENT_FETCH,
        "event": payload.get("type"),
        "ref": payload.get("ref"),
        "conversation_id": payload.get("conversation_id"),
        "seq": payload.get("seq") or (payload.get("message") or {}).get("seq"),  # an ack's is its message's
    }


def database_sync_to_async(function):
    """Run ORM work on the thread pool: each call is independent (its own pooled connection), and
    Channels' default, one thread per process, would serialise every socket's database work."""
    return _database_sync_to_async(function, thread_sensitive=False)


class EventSocket(AsyncWebsocketConsumer):
    behind = False  # closed for lagging: ignore whatever is still queued
    closing = False  # closed by the server: frames the client sent meanwhile are not handled
    _last_encoded: tuple[dict, str] | None = None  # shared by this process's sockets (one loop)

    def serving(self) -> bool:
        """True once the socket is authenticated and listening to its groups."""
        raise NotImplementedError

    async def dispatch(self, message: dict) -> None:
        """Call the message's handler, unless the socket has fallen behind.

        A socket that handles events long after they were published, or whose queue overflowed,
        has fallen behind (a slow client, a flooded process): close it, so the client reconnects
        and resyncs by seq.

        Channels' own dispatch first hops to a thread for close_old_connections, before every
        event and every frame (measured: 8% of a busy desk process, 17% of the event loop's time
        at L1). All our database work runs through database_sync_to_async, which closes old
        connections itself, so the handler is called directly.
        """
        if not message["type"].startswith("websocket."):  # an event from the channel layer
            if self.behind:
                return
            if message["type"] == LAYER_OVERFLOW or (
                self.serving() and events.consumer_lag(message) > events.MAX_CONSUMER_LAG_SECONDS
            ):
                self.behind = True
                await self.refuse(
                    "too_slow", "This connection fell behind; reconnect and resync.", Close.TOO_SLOW
                )
                return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_event(self, payload: dict) -> None:
        """Send an event as JSON, or its `event.fetch` reference when it is too big for a frame.
        The desk passes the layer's shared event dict on to each of its sockets in turn: encode it
        once for all of them."""
        encoded = EventSocket._last_encoded
        if encoded is None or encoded[0] is not payload:
            text = encode(payload)
            if not fits_a_frame(text):
                text = encode(fetch_reference(payload))
            encoded = EventSocket._last_encoded = (payload, text)
        try:
            await self.send(text_data=encoded[1])
        except ClientGone:
            # The client closed while this event was on its way, and the disconnect is queued
            # behind it. Dropping the event lets that disconnect (and its cleanup) run; raising
            # would kill the consumer, and its disconnect handler with it.
            return

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closing = True
        await super().close(code=code, reason=reason)

    async def refuse(self, code: str, detail: str, close_code: int, ref: object = None) -> None:
        await self.send_event({"type": EventType.ERROR, "code": code, "detail": detail, "ref": ref})
        await self.close(code=close_code)
