"""What every Parley websocket consumer shares: database work on the thread pool, JSON events,
refusals with a code, and closing a socket that fell too far behind so its client resyncs."""

import json

from autobahn.exception import Disconnected as ClientGone  # what Daphne raises on a closed socket
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async as _database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import events

CLOSE_TOO_SLOW = 4011
# What a bounded channel layer (config.channel_layer) queues, in place of everything it held, for a
# socket that stopped reading: it missed events.
LAYER_OVERFLOW = "layer.overflow"


def database_sync_to_async(function):
    """Run ORM work on the thread pool: each call is independent (its own pooled connection), and
    Channels' default, one thread per process, would serialise every socket's database work."""
    return _database_sync_to_async(function, thread_sensitive=False)


class EventSocket(AsyncWebsocketConsumer):
    behind = False  # closed for lagging: ignore whatever is still queued
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
                    "too_slow", "This connection fell behind; reconnect and resync.", CLOSE_TOO_SLOW
                )
                return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_event(self, payload: dict) -> None:
        """Send an event as JSON. The desk passes the layer's shared event dict on to each of its
        sockets in turn: encode it once for all of them."""
        encoded = EventSocket._last_encoded
        if encoded is None or encoded[0] is not payload:
            encoded = EventSocket._last_encoded = (payload, json.dumps(payload, separators=(",", ":")))
        try:
            await self.send(text_data=encoded[1])
        except ClientGone:
            # The client closed while this event was on its way, and the disconnect is queued
            # behind it. Dropping the event lets that disconnect (and its cleanup) run; raising
            # would kill the consumer, and its disconnect handler with it.
            return

    async def refuse(self, code: str, detail: str, close_code: int, ref: object = None) -> None:
        await self.send_event({"type": "error", "code": code, "detail": detail, "ref": ref})
        await self.close(code=close_code)
