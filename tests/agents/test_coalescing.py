"""Routing requests are coalesced per inbox within a process: one that comes while the inbox is
being routed returns at once, and the pass running then runs once more for all of them, so the
conversation that asked is still routed (its transaction committed before it asked) and no
thread waits on the inbox's lock behind another router."""

import threading

import pytest

from agents.coalescing import Coalesced


def test_requests_that_come_during_a_pass_are_served_by_one_more_pass():
    passes, first_started, release = [], threading.Event(), threading.Event()

    def route(inbox_id: int) -> None:
        passes.append(inbox_id)
        if len(passes) == 1:
            first_started.set()
            assert release.wait(5)

    coalesced = Coalesced(route)
    running = threading.Thread(target=coalesced, args=(7,))
    running.start()
    assert first_started.wait(5)
    for _ in range(10):
        coalesced(7)  # returns at once: the running pass will go again
    coalesced(8)  # another inbox is not held up by inbox 7's pass
    release.set()
    running.join(5)
    assert passes == [7, 8, 7]


def test_a_failed_pass_leaves_the_inbox_routable():
    calls = []

    def route(inbox_id: int) -> None:
        calls.append(inbox_id)
        if len(calls) == 1:
            raise RuntimeError("database went away")

    coalesced = Coalesced(route)
    with pytest.raises(RuntimeError):
        coalesced(3)
    coalesced(3)
    assert calls == [3, 3]
