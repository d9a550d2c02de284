"""Waiting for what another process does (a server's callback, a worker's write) without a
fixed sleep: poll the condition until it holds or the time is up."""

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds}s")
        time.sleep(0.05)
