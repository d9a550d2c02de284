"""A token bucket per connection: `rate` actions a minute on average, bursts up to `burst`."""

import time
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
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
