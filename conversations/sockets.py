"""What every Parley websocket consumer shares: database work on the thread pool, JSON events
sized to fit a frame, refusals with a code, and events delivered once per process: the channel
layer hands each group event to every attached socket in one pass (config.channel_layer), each
event's websocket frame is built once, and a socket writes it straight to its connection, with no
task per socket (write_now).

A socket whose client does not read (its unsent bytes pile up) or that hears events too late falls
behind: events stop going to it, never more than BEHIND_BYTES wait for it, and once it has drained
it gets one `resync` frame, and its client resyncs by seq. It is never closed for lagging.

Frames are sized by what is sent: events are UTF-8 JSON (no `\\u` escapes, which made one emoji
12 bytes), every limit counts encoded bytes, a history page holds what fits one frame, and an
event that still would not fit goes out as `event.fetch`, a reference the client fetches with
`history.after`: a stored message never closes a socket."""

import asyncio
import functools
import json
import time

from autobahn.exception import Disconnected as ClientGone  # what Daphne raises on a closed socket
from autobahn.websocket.protocol import PreparedMessage
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async as _database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from twisted.internet import tcp

from operations.metrics import EVENTS_DELIVERED, SOCKET_RESYNCS, SOCKETS_CLOSED, SOCKETS_OPEN, bound

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
    TOO_SLOW = 4011  # no longer sent (a lagging socket gets `resync`); kept reserved for old clients
    LOGGED_OUT = 4012  # the desk's session ended (logout) or its agent was deactivated


# What a bounded channel layer (config.channel_layer) queues, in place of everything it held, for a
# socket that stopped reading: it missed events.
LAYER_OVERFLOW = "layer.overflow"

# Bytes written to a socket that its client has not read yet: past BEHIND_BYTES it is behind, and
# it catches up once they are under CAUGHT_UP_BYTES (checked every CATCH_UP_SECONDS).
BEHIND_BYTES = 1024 * 1024
CAUGHT_UP_BYTES = 64 * 1024
CATCH_UP_SECONDS = 0.5
# Events held while the socket handles a frame of its client (or before its hello), at most this
# many: a request's answer (an ack) goes out before the events that followed it, as it always has.
HELD_EVENTS = 200


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


_SENDING: set[asyncio.Future] = set()  # frames on their way through a send of another server


def unsent_bytes(protocol) -> int:
    """What Twisted still holds for this connection (a FileDescriptor's buffers)."""
    transport = getattr(protocol, "transport", None)
    if transport is None:
        return 0
    buffered = len(getattr(transport, "dataBuffer", b"")) - getattr(transport, "offset", 0)
    return buffered + getattr(transport, "_tempDataLen", 0)


def write_now(transport, data: bytes) -> None:
    """Write `data` to a connection: straight to its socket when Twisted holds nothing unsent for
    it (what asyncio's own transports do), else through Twisted's buffer. Twisted alone would
    buffer every frame and register, then unregister, a writer with the selector for it: two
    syscalls and a loop pass per frame per socket. Only a plain TCP connection is written to
    directly (TLS and others go through their transport)."""
    if (
        type(transport) is tcp.Server
        and transport.connected
        and not transport.disconnecting
        and not transport._tempDataLen
        and len(transport.dataBuffer) == transport.offset
    ):
        try:
            sent = transport.socket.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:  # reset or closed: the reactor sees it on its next read
            return
        if sent == len(data):
            return
        data = data[sent:]
    transport.write(data)


class EventSocket(AsyncWebsocketConsumer):
    """A socket that hears its groups' events. A subclass joins groups with `join`, says `hello`,
    and says in `view` what it sends for each event (None: nothing)."""

    hears: frozenset[str] = frozenset()  # the layer events `view` may send something for
    behind = False  # its client stopped reading, or heard events too late: resync once drained
    closing = False  # closed by the server: frames the client sent meanwhile are not handled
    delivering = False  # the hello is out: events go to the client
    handling = False  # a frame of the client is being handled: events wait for its answer
    _held: list | None = None
    _attached = False
    _daphne: tuple | None = None  # (server, protocol) when served by Daphne
    _last_encoded: tuple[dict, str] | None = None  # shared by this process's sockets (one loop)
    _last_prepared: tuple[dict, PreparedMessage] | None = None
    _delivered = None  # this kind's events-delivered counter, bound once the socket is serving

    @property
    def kind(self) -> str:
        """The socket's kind in the metrics: `desk` for DeskConsumer, `client` for ClientConsumer."""
        return type(self).__name__.removesuffix("Consumer").lower()

    def serving(self) -> bool:
        """True once the socket is authenticated and listening to its groups."""
        raise NotImplementedError

    def view(self, event: dict) -> dict | None:
        """What this socket sends for a layer event; None for nothing."""
        raise NotImplementedError

    async def join(self, *groups: str) -> None:
        """Listen to `groups` (again, after a Redis restart: joining twice is harmless). Their events
        come to `deliver` straight from the layer's receive loop where the layer allows it."""
        if not self._attached:
            attach = getattr(self.channel_layer, "attach", None)
            if attach is not None:
                attach(self.channel_name, self.deliver)
            self._attached = True
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def hello(self, payload: dict) -> None:
        """Send the hello; the events that came since joining follow once the connect is handled."""
        await self.send_event(payload)
        self.delivering = True
        bound(SOCKETS_OPEN, self.kind).inc()
        self._delivered = bound(EVENTS_DELIVERED, self.kind)

    async def websocket_disconnect(self, message: dict) -> None:
        if self._delivered is not None:  # it was serving: counted open, now closed
            self._delivered = None
            bound(SOCKETS_OPEN, self.kind).dec()
            SOCKETS_CLOSED.labels(self.kind, str(message.get("code") or "none")).inc()
        await super().websocket_disconnect(message)

    async def dispatch(self, message: dict) -> None:
        """Frames from the client go to their handler; events that came through the socket's queue
        (a layer that cannot attach) go where attached ones go.

        Channels' own dispatch first hops to a thread for close_old_connections, before every
        event and every frame (measured: 8% of a busy desk process, 17% of the event loop's time
        at L1). All our database work runs through database_sync_to_async, which closes old
        connections itself, so the handler is called directly.
        """
        if not message["type"].startswith("websocket."):
            self.deliver(message)
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        self.handling = True
        try:
            await handler(message)
        finally:
            self.handling = False
            self._release_held()

    def deliver(self, event: dict) -> None:
        """One event, synchronously, on the loop: what `view` makes of it goes out now. The event
        dict is shared by every socket of the process: read-only."""
        if self.closing or self.behind:
            return
        if self.handling or not self.delivering:
            self._held = self._held or []
            self._held.append(event)
            if len(self._held) > HELD_EVENTS:
                self.fall_behind("held")
            return
        self._pass_on(event)

    def _release_held(self) -> None:
        held, self._held = self._held, None
        for event in held or ():
            if self.closing or self.behind or not self.delivering:
                return
            self._pass_on(event)

    def _pass_on(self, event: dict) -> None:
        if event["type"] == LAYER_OVERFLOW:
            self.fall_behind("layer_overflow")
            return
        if events.consumer_lag(event) > events.MAX_CONSUMER_LAG_SECONDS:
            self.fall_behind("late")
            return
        payload = self.view(event)
        if payload is not None:
            self.write(payload, lossy=True)
            if self._delivered is not None:
                self._delivered.inc()

    def fall_behind(self, reason: str) -> None:
        """Stop sending events; tell the client to resync once its buffer has drained. `reason`
        (held, layer_overflow, late, unread) is for the metrics."""
        bound(SOCKET_RESYNCS, self.kind, reason).inc()
        self.behind = True
        self._held = None
        asyncio.get_running_loop().call_later(CATCH_UP_SECONDS, self._catch_up)

    def _catch_up(self) -> None:
        if self.closing:
            return
        daphne = self._served_by()
        if daphne is not None and unsent_bytes(daphne[1]) > CAUGHT_UP_BYTES:
            asyncio.get_running_loop().call_later(CATCH_UP_SECONDS, self._catch_up)
            return
        self.behind = False
        if self.delivering:  # else the hello, still to come, is where the client starts
            self.write({"type": EventType.RESYNC, "reason": "behind", "at": time.time()})

    def write(self, payload: dict, *, lossy: bool = False) -> None:
        """Send `payload` now (its `event.fetch` reference when it is too big for a frame), straight
        into Daphne's transport. A `lossy` one (an event: the client resyncs what it misses) puts a
        socket whose client stopped reading behind instead of piling up."""
        text = self._encoded(payload)
        daphne = self._served_by()
        if daphne is None:  # another ASGI server, or a test's communicator: its own send, in order
            sending = asyncio.ensure_future(self._send_text(text))
            _SENDING.add(sending)
            sending.add_done_callback(_SENDING.discard)
            return
        server, protocol = daphne
        connection = server.connections.get(protocol)
        if connection is None or connection.get("disconnected"):
            return
        if lossy and unsent_bytes(protocol) > BEHIND_BYTES:
            self.fall_behind("unread")
            return
        if protocol.state != protocol.STATE_OPEN:  # closing: its disconnect is on its way
            return
        frame = self._prepared(payload, text, protocol).payloadHybi
        if protocol._perMessageCompress is not None:  # never negotiated by Daphne; kept correct
            protocol.sendMessage(text.encode())
        else:
            write_now(protocol.transport, frame)

    async def send_event(self, payload: dict) -> None:
        """An answer or a notice of this socket's own (hello, ack, history, error): never dropped,
        and sent before whatever the caller does next (a close)."""
        if self._served_by() is None:
            await self._send_text(self._encoded(payload))
        else:
            self.write(payload)

    @staticmethod
    def _prepared(payload: dict, text: str, protocol) -> PreparedMessage:
        """The frame (header and payload, unmasked from a server) for `payload`: built once per
        event for every socket of the process, as autobahn's prepareMessage is meant for."""
        prepared = EventSocket._last_prepared
        if prepared is None or prepared[0] is not payload:
            prepared = EventSocket._last_prepared = (payload, protocol.factory.prepareMessage(text.encode()))
        return prepared[1]

    @staticmethod
    def _encoded(payload: dict) -> str:
        """The frame's text. Every socket of the process that sends the same dict (the desk passes
        the layer's shared event on as it is) shares one encoding of it."""
        encoded = EventSocket._last_encoded
        if encoded is None or encoded[0] is not payload:
            text = encode(payload)
            if not fits_a_frame(text):
                text = encode(fetch_reference(payload))
            encoded = EventSocket._last_encoded = (payload, text)
        return encoded[1]

    def _served_by(self) -> tuple | None:
        """Daphne's server and this connection's protocol, from the send callable Daphne gave us
        (`partial(server.handle_reply, protocol)`): writing through them skips an await per frame."""
        if self._daphne is None:
            send = self.base_send
            while hasattr(getattr(send, "__self__", None), "real_send"):
                # Channels' session middleware (the desk's, the floor's) wraps send to set its
                # cookie on an HTTP response, and passes websocket frames on unchanged.
                send = send.__self__.real_send
            owner = getattr(getattr(send, "func", None), "__self__", None)
            if (
                isinstance(send, functools.partial)
                and send.args
                and type(owner).__module__ == "daphne.server"
                and getattr(send.func, "__name__", "") == "handle_reply"
            ):
                self._daphne = (owner, send.args[0])
            else:
                self._daphne = ()
        return self._daphne or None

    async def _send_text(self, text: str) -> None:
        try:
            await self.send(text_data=text)
        except ClientGone:
            # The client closed while this frame was on its way, and the disconnect is queued
            # behind it. Dropping the frame lets that disconnect (and its cleanup) run.
            return

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closing = True
        await super().close(code=code, reason=reason)

    async def refuse(self, code: str, detail: str, close_code: int, ref: object = None) -> None:
        await self.send_event({"type": EventType.ERROR, "code": code, "detail": detail, "ref": ref})
        await self.close(code=close_code)
