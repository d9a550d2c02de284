"""Back-pressure on customers' sends: a process takes on messages to store while it keeps up, and
answers `busy` (with when to send the same `client_message_id` again) once it does not, rather
than queueing without bound. docs/protocol.md, "Falling behind and busy".

It does not keep up when MANY_WAITING or more are waiting and the oldest of them has waited longer
than MAX_WAIT_SECONDS (the store is slower than what comes in, for long enough to notice), or when
MAX_WAITING are waiting at once (memory). A burst that the store drains quickly (a few hundred
visitors sending at the same instant) is taken on whole, and one message stuck on a busy
conversation's lock refuses nobody else.
"""

import itertools
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

MAX_WAIT_SECONDS = 2.0
MANY_WAITING = 64
MAX_WAITING = 500
RETRY_AFTER_MS = 1000


class StoreQueue:
    """The messages of one process (one event loop) on their way to the database."""

    def __init__(self) -> None:
        self._since: OrderedDict[int, float] = OrderedDict()  # oldest first
        self._tokens = itertools.count()

    def keeps_up(self) -> bool:
        waiting = len(self._since)
        if waiting >= MAX_WAITING:
            return False
        if waiting < MANY_WAITING:
            return True
        return time.monotonic() - next(iter(self._since.values())) <= MAX_WAIT_SECONDS

    @contextmanager
    def waiting(self) -> Iterator[None]:
        token = next(self._tokens)
        self._since[token] = time.monotonic()
        try:
            yield
        finally:
            del self._since[token]


store_queue = StoreQueue()
