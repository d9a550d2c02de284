"""The production channel layer: channels-redis's pub/sub layer, delivering group messages straight
to the process's sockets, with a bound on whatever still goes through a channel's queue.

Why pub/sub: a group send is one PUBLISH, and each process subscribed to the group receives it once
and hands it to its own sockets, where channels-redis's core layer pushes one copy per socket
through Redis and pops them one by one (measured 2-4 times slower fan-out on a 2-core machine).
Group membership lives in the process, so a killed process leaves nothing behind in Redis.

Fan-out once per process: a socket may `attach` a synchronous deliverer to its channel. A group
message is then decoded once and handed to every attached socket of the group in one pass of the
layer's receive loop: no queue, task or `asyncio.wait` per socket per event (what Channels'
consumer loop costs: 63 µs a delivery, measured). Sockets that did not attach (the floor view, a
health check) get the message through their queue as before.

Publishing in a pipeline: `group_send_many` sends the events the publisher has waiting as one
pipeline of PUBLISHes per Redis shard (one round trip, each event serialized once however many
groups it goes to), in their order, where group_send is a round trip per group per event.

That queue is bounded: it grows without limit if its consumer stops reading. A full queue is
emptied and given one `layer.overflow` event instead, so the consumer learns it missed events and
tells its client to resync by seq, and memory stays bounded.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence

from channels_redis import pubsub
from channels_redis.utils import decode_hosts
from redis import exceptions as redis_errors

from conversations.sockets import LAYER_OVERFLOW

DEFAULT_CAPACITY = 1000
SUBSCRIBE_ATTEMPTS = 6  # 50 ms, doubling: about 1.5 s in all
DECODED_KEPT = 16  # the last few group messages: their sockets read them one after another

logger = logging.getLogger(__name__)
Deliverer = Callable[[dict], None]


class _BoundedQueue(asyncio.Queue):
    def __init__(self, capacity: int, overflow: bytes) -> None:
        super().__init__(maxsize=capacity)
        self.overflow = overflow

    def put_nowait(self, item: bytes) -> None:
        if self.full():
            while not self.empty():
                self.get_nowait()
            item = self.overflow
        super().put_nowait(item)


class _Shard(pubsub.RedisSingleShardConnection):
    async def subscribe(self, channel: str) -> None:
        """Right after a Redis restart the subscriber connection is dead, and a subscribe can fail
        while it reconnects: with a connection error, or with asyncio's RuntimeError when the
        layer's receive loop is reconnecting the same connection at that moment (channels-redis
        reads it without the shard's lock). A socket opening then must wait a moment, not fail."""
        for attempt in range(SUBSCRIBE_ATTEMPTS):
            try:
                await super().subscribe(channel)
                return
            except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError, RuntimeError):
                if attempt == SUBSCRIBE_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.05 * 2**attempt)

    async def publish_many(self, publishes: list[tuple[str, bytes]]) -> None:
        """publish for several (channel, message) pairs, in order, in one pipeline. Under the
        shard's lock, as channels-redis's own publish."""
        async with self._lock:
            self._ensure_redis()
            pipeline = self._redis.pipeline(transaction=False)
            for channel, message in publishes:
                pipeline.publish(channel, message)
            await pipeline.execute()

    def _receive_message(self, message: dict | None) -> None:
        """A group message goes to the group's attached sockets directly, decoded once; the rest of
        the group (and messages for one channel) go through queues as channels-redis does it."""
        if message is None:
            return
        name = message["channel"]
        name = name.decode() if isinstance(name, bytes) else name
        layer = self.channel_layer
        members = layer.groups.get(name)
        if not members or not layer.direct:
            super()._receive_message(message)
            return
        event = None
        for channel in list(members):
            deliver = layer.direct.get(channel)
            if deliver is None:
                queue = layer.channels.get(channel)
                if queue is not None:
                    queue.put_nowait(message["data"])
                continue
            if event is None:
                event = layer.channel_layer.deserialize(message["data"])
            try:
                deliver(event)
            except Exception:  # one socket's fault must not cost the others their event
                logger.exception("delivering %s to %s failed", event.get("type"), channel)


class _LoopLayer(pubsub.RedisPubSubLoopLayer):
    def __init__(self, *args, capacity: int = DEFAULT_CAPACITY, hosts=None, **kwargs) -> None:
        super().__init__(*args, hosts=hosts, **kwargs)
        self.capacity = capacity
        self.direct: dict[str, Deliverer] = {}
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]

    async def receive(self, channel: str) -> dict:
        try:
            return await super().receive(channel)
        except asyncio.CancelledError:  # the consumer is exiting: the layer lets go of its channel
            self.direct.pop(channel, None)
            raise

    async def _subscribe_to_channel(self, channel: str) -> None:
        overflow = self.channel_layer.serialize({"type": LAYER_OVERFLOW})
        self.channels[channel] = _BoundedQueue(self.capacity, overflow)
        await self._get_shard(channel).subscribe(channel)

    async def discard_channel(self, channel: str) -> None:
        """Forget a channel made for a one-off exchange (the health check): the layer only lets go
        of a channel when a consumer's receive is cancelled."""
        self.direct.pop(channel, None)
        if self.channels.pop(channel, None) is not None:
            await self._get_shard(channel).unsubscribe(channel)


class BoundedPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    """RedisPubSubChannelLayer whose per-channel queues hold at most `capacity` events.

    A group message reaches every local socket as the same bytes, and is decoded once for all of
    them: consumers get one shared dict and must treat events as read-only (Parley's do).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._decoded: dict[int, tuple[bytes, dict]] = {}

    def deserialize(self, message: bytes) -> dict:
        hit = self._decoded.get(id(message))
        if hit is not None and hit[0] is message:
            return hit[1]
        decoded = super().deserialize(message)
        if len(self._decoded) >= DECODED_KEPT:
            self._decoded.pop(next(iter(self._decoded)))
        self._decoded[id(message)] = (message, decoded)
        return decoded

    async def group_send_many(self, sends: Sequence[tuple[str, dict]]) -> None:
        """group_send for each (group, message) pair, in order: one pipeline per shard."""
        layer = self._get_layer()
        encoded: dict[int, bytes] = {}
        by_shard: dict[_Shard, list[tuple[str, bytes]]] = {}
        for group, message in sends:
            channel = layer._get_group_channel_name(group)
            data = encoded.get(id(message))
            if data is None:
                data = encoded[id(message)] = self.serialize(message)
            by_shard.setdefault(layer._get_shard(channel), []).append((channel, data))
        for shard, publishes in by_shard.items():
            await shard.publish_many(publishes)

    def attach(self, channel: str, deliver: Deliverer) -> None:
        """Hand this channel's group messages to `deliver` (synchronous, on the layer's loop, the
        event dict shared by every socket: read-only) instead of its queue."""
        self._get_layer().direct[channel] = deliver

    def _get_layer(self) -> pubsub.RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            pubsub._wrap_close(self, loop)
            return layer
