"""Rate limits of the customer clients.

A socket's frames are counted by a token bucket in that connection's memory (`TokenBucket`:
`rate` actions a minute on average, bursts up to `burst`). An HTTP request may land on any web
process, so its count lives in the shared cache instead (`within_rate`).
"""

import time
from dataclasses import dataclass, field

from django.core.cache import cache

WINDOW_SECONDS = 60


@dataclass
class TokenBucket:
    """One socket's allowance: `rate_per_minute` actions on average, bursts up to `burst`."""

    rate_per_minute: float = 100
    burst: float = 20
    tokens: float = field(default=-1.0)
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate_per_minute / 60)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def wait_ms(self) -> int:
        """How long until the next action is allowed: what a refused client waits before sending
        again (the tokens as of the last take)."""
        return max(0, round((1 - self.tokens) * 60_000 / self.rate_per_minute))

    def give_back(self) -> None:
        """Return the last token taken: the action it paid for was refused without being done."""
        self.tokens = min(self.burst, self.tokens + 1)


def within_rate(key: str, *, per_minute: int) -> bool:
    """Count one request for `key` and say whether it is within `per_minute` for the current
    minute. A window per calendar minute, counted with the cache's atomic increment (Redis INCR),
    so every web process sees the same count; a refused request counts too."""
    window = f"parley:rate:{key}:{int(time.time()) // WINDOW_SECONDS}"
    cache.add(window, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(window)
    except ValueError:  # the window expired between add and incr: this is its first request
        cache.add(window, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    return count <= per_minute


def seconds_to_next_window() -> int:
    """For Retry-After: when within_rate counts afresh."""
    return WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS
