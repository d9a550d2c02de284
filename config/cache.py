"""The Redis cache backend, with one client (and so one connection pool) per process.

Django makes a cache object per request context under ASGI (asgiref Local), and its RedisCache
gives each object a client with connection pools of its own: every request that touched the
cache (a widget's rate limit, a webhook's drain flag) opened a Redis connection and paid redis-py's
driver lookup. redis-py's pools are thread-safe and reset themselves in a forked child."""

import threading
from functools import cached_property

from django.core.cache.backends import redis

_clients: dict[str, redis.RedisCacheClient] = {}
_clients_lock = threading.Lock()


class RedisCache(redis.RedisCache):
    @cached_property
    def _cache(self) -> redis.RedisCacheClient:
        key = repr((self._servers, sorted(self._options.items())))
        with _clients_lock:
            if key not in _clients:
                _clients[key] = self._class(self._servers, **self._options)
            return _clients[key]
