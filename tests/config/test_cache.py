"""The Redis cache under ASGI: Django gives each request context a cache object of its own
(asgiref Local), and Django's RedisCache a connection pool of its own to each object; so every
request that touched the cache opened a Redis connection (a TCP handshake and redis-py's driver
lookup, ~1.5 ms of CPU on the webhook path). The cache's client is the process's."""

import asyncio

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis cache needs REDIS_URL")


def connections_received() -> int:
    return redis.Redis.from_url(settings.REDIS_URL).info("stats")["total_connections_received"]


def test_requests_in_contexts_of_their_own_share_the_processes_redis_connections():
    async def requests() -> None:
        async def one(n: int) -> None:  # each task its own context, as each ASGI request
            await sync_to_async(caches["default"].add, thread_sensitive=False)(f"parley-test:{n}", n, 5)

        for n in range(20):
            await asyncio.create_task(one(n))

    before = connections_received()
    asyncio.run(requests())
    opened = connections_received() - before - 1  # the counting connection itself

    assert opened <= 1, f"{opened} Redis connections opened for 20 cache calls"
