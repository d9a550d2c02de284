"""The production channel layer: channels-redis's pub/sub layer, with a bound on each channel's queue.

Why pub/sub: a group send is one PUBLISH, and each process subscribed to the group receives it once
and hands it to its own sockets, where channels-redis's core layer pushes one copy per socket
through Redis and pops them one by one (measured 2-4 times slower fan-out on a 2-core machine).
Group membership lives in the process, so a killed process leaves nothing behind in Redis.

What it lacks is a bound: a socket's queue grows without limit if its consumer stops reading. Here
a full queue is emptied and given one `layer.overflow` event instead, so the consumer learns it
missed events (it closes with 4011 and its client resyncs by seq) and memory stays bounded.
"""

import asyncio

from channels_redis import pubsub
from channels_redis.utils import decode_hosts
from redis import exceptions as redis_errors

from conversations.sockets import LAYER_OVERFLOW

DEFAULT_CAPACITY = 1000
SUBSCRIBE_ATTEMPTS = 6  # 50 ms, doubling: about 1.5 s in all
DECODED_KEPT = 16  # the last few group messages: their sockets read them one after another


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


class _LoopLayer(pubsub.RedisPubSubLoopLayer):
    def __init__(self, *args, capacity: int = DEFAULT_CAPACITY, hosts=None, **kwargs) -> None:
        super().__init__(*args, hosts=hosts, **kwargs)
        self.capacity = capacity
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]

    async def _subscribe_to_channel(self, channel: str) -> None:
        overflow = self.channel_layer.serialize({"type": LAYER_OVERFLOW})
        self.channels[channel] = _BoundedQueue(self.capacity, overflow)
        await self._get_shard(channel).subscribe(channel)

    async def discard_channel(self, channel: str) -> None:
        """Forget a channel made for a one-off exchange (the health check): the layer only lets go
        of a channel when a consumer's receive is cancelled."""
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

    def _get_layer(self) -> pubsub.RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            pubsub._wrap_close(self, loop)
            return layer
