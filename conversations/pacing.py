"""How background drains of set-based batches (the live-session expiry sweep, privacy's
retention, the webhook receipts' drain) leave the real-time servers their share of the machine.

Each batch runs on a thread of the lowest CPU priority (at_low_priority): when Daphne wants a core
the scheduler gives it at once, when nobody does the batch runs at full speed, so a drain goes as
fast as an idle machine allows and backs off by itself on a busy one. A drain may also rest after
each batch: retention in proportion to the time the batch took (rest_after), the expiry sweep in
proportion to how long its thread was kept from the cores (Ran.contended_seconds), since the
batch's database work runs in Postgres at the server's own priority and still competes
(conversations.services.expiry says what each measured; docs/benchmarks.md, expiry).
"""

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import close_old_connections, connection

T = TypeVar("T")

# The nice value of a drain's thread: the lowest priority there is. Raising one's own nice value
# needs no privilege (lowering it back would: hence threads kept for the purpose).
LOW_PRIORITY_NICE = 19
# Threads per process: as many as drains run side by side in one worker (expiry's two).
LOW_PRIORITY_THREADS = 2


def rest_after(batch_seconds: float, *, factor: float, floor: float) -> float:
    """How long a drain rests after a batch that took `batch_seconds`."""
    return max(floor, batch_seconds * factor)


@dataclass(frozen=True)
class Ran(Generic[T]):
    """What a call at low priority returned, and how the machine treated its thread meanwhile."""

    result: T
    cpu_seconds: float  # the thread ran
    waited_seconds: float  # the thread was ready to run but others had the cores (0: not known)

    @property
    def contended_seconds(self) -> float:
        """How much longer the thread waited for a core than it ran: on a machine with cores to
        spare a drain's thread waits less than it runs, whoever else is at work."""
        return max(0.0, self.waited_seconds - self.cpu_seconds)


def at_low_priority(function: Callable[..., T], /, **kwargs) -> Ran[T]:
    """`function(**kwargs)` on one of this process's low-priority threads, waiting for its result
    (or its exception). Each thread keeps its own database connection from call to call, looked
    after as Django looks after a request's (close_old_connections around each call).

    Called inside a transaction it runs where it is instead, at the caller's priority: its writes
    belong to that transaction, which another thread's connection cannot see or join."""
    if connection.in_atomic_block:
        return _timed(function, kwargs)
    return _pool().submit(_call, function, kwargs).result()


def _call(function: Callable[..., T], kwargs: dict) -> Ran[T]:
    close_old_connections()
    try:
        return _timed(function, kwargs)
    finally:
        close_old_connections()


def _timed(function: Callable[..., T], kwargs: dict) -> Ran[T]:
    ran, waited = _scheduled()
    result = function(**kwargs)
    ran_after, waited_after = _scheduled()
    return Ran(result, (ran_after - ran) / 1e9, (waited_after - waited) / 1e9)


def _scheduled() -> tuple[int, int]:
    """The calling thread's time on a core and time ready but waiting for one, in nanoseconds
    (Linux's schedstat; zeros where there is none)."""
    try:
        with open("/proc/thread-self/schedstat") as schedstat:
            ran, waited, _ = schedstat.read().split()
    except (OSError, ValueError):
        return 0, 0
    return int(ran), int(waited)


def thread_nice() -> int:
    """The calling thread's nice value (Linux keeps one per thread)."""
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) if _PER_THREAD else os.nice(0)


# Linux gives each thread its own nice value; elsewhere it is the whole process's, so there the
# threads are plain ones rather than slowing every thread of the worker.
_PER_THREAD = sys.platform.startswith("linux")
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None


def _lower_priority() -> None:
    if _PER_THREAD:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOW_PRIORITY_NICE)


def _pool() -> ThreadPoolExecutor:
    """This process's pool (a forked worker child makes its own: threads do not survive a fork)."""
    global _executor, _executor_pid
    if _executor_pid != os.getpid():
        with _lock:
            if _executor_pid != os.getpid():
                _executor = ThreadPoolExecutor(
                    max_workers=LOW_PRIORITY_THREADS,
                    thread_name_prefix="parley-low-priority",
                    initializer=_lower_priority,
                )
                _executor_pid = os.getpid()
    return _executor
