"""Work for a key, coalesced within the process: routing an inbox (or an agent's inboxes) once
more however many transactions asked for it meanwhile.

A burst of new conversations (a campaign, a storm of reconnects) asks for a routing pass of the
same inbox on every commit. Each pass takes the inbox's lock (routing.py) and routes everything
that waits, so passes queued behind it would find nothing left to do, while holding a database
thread and connection each. Here a request that comes while a pass for its key runs in this
process returns at once and marks the key; the running pass then goes once more, and sees every
conversation whose transaction committed before it asked.
"""

import threading
from collections.abc import Callable, Hashable


class Coalesced:
    """`work(key)`, run by at most one thread of the process per key, once more for any requests
    that came during a run."""

    def __init__(self, work: Callable[[Hashable], object]) -> None:
        self._work = work
        self._lock = threading.Lock()
        self._running: set[Hashable] = set()
        self._again: set[Hashable] = set()

    def __call__(self, key: Hashable) -> None:
        with self._lock:
            if key in self._running:
                self._again.add(key)
                return
            self._running.add(key)
        try:
            while True:
                self._work(key)
                with self._lock:
                    if key not in self._again:
                        self._running.discard(key)
                        return
                    self._again.discard(key)
        except BaseException:
            with self._lock:
                self._running.discard(key)
                self._again.discard(key)
            raise
