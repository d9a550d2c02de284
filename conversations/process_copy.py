"""A per-process copy of a small, rarely changed set of rows (the webhook subscriptions, the
service-level policies), so the hot path asks the database nothing in the common case.

A change made in this process drops the copy at once; other processes hear of it through a
generation token in the shared cache (Redis in production), which each process reads at most once
per RECHECK_SECONDS. A change in one process is so seen by the others within about a second.
Without the shared cache the copy is reloaded on each recheck.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")
RECHECK_SECONDS = 1.0
_UNKNOWN = object()


class ProcessCopy(Generic[T]):
    def __init__(self, generation_key: str, load: Callable[[], T]) -> None:
        self._key, self._load = generation_key, load
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded = False
        self._generation: object = None
        self._checked_at = 0.0

    def get(self) -> T:
        if self._loaded and time.monotonic() - self._checked_at < RECHECK_SECONDS:
            return self._value
        with self._lock:
            generation = self._shared_generation()
            self._checked_at = time.monotonic()
            if not self._loaded or generation != self._generation or generation is _UNKNOWN:
                self._value, self._generation, self._loaded = self._load(), generation, True
            return self._value

    def invalidate(self) -> None:
        """Forget this process's copy; the next read reloads it."""
        with self._lock:
            self._loaded = False

    def announce_change(self) -> None:
        """The rows changed: this process forgets now, the others once the change commits (before
        that they would reload the old rows and keep them)."""
        self.invalidate()
        transaction.on_commit(self._bump_generation, robust=True)

    def _bump_generation(self) -> None:
        cache.set(self._key, uuid.uuid4().hex, timeout=None)

    def _shared_generation(self) -> object:
        try:
            return cache.get(self._key)
        except Exception:
            logger.warning("%s unreadable; reloading", self._key, exc_info=True)
            return _UNKNOWN
