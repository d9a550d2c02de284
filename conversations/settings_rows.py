"""Rows that change rarely (inboxes, their answer bots), read from the process's memory while none
of them changed.

Every webhook read its inbox, every routing pass read its inbox again, every conversation that
started asked whether its inbox's bot takes it, and every widget socket read its inbox with its
visitor: the ORM's query and its conversion of a wide row each time, a fifth of a webhook's CPU,
8% of Daphne's in L1 and a quarter of a reconnecting widget's (py-spy, `bench webhooks` and
`bench realtime`). Each process
keeps what it read, valid for as long as one shared version (a Redis key through Django's cache,
read once per lookup) is the one it was read under: saving or deleting an inbox or an answer bot
bumps it, now for the changing transaction's own reads and again once it commits for what
another process read in between, so a rotated secret, an inbox switched off or a bot switched on
holds for the very next request in every process. A write that skips the models' signals
(QuerySet.update) must call `settings_rows_changed()`; otherwise it is seen within CACHE_SECONDS.

What a lookup returns is the process's copy: a caller may set its attributes, never change a
value in place (its `config`, say) nor save it.
"""

import copy
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

from .models import Inbox

CACHE_SECONDS = 60.0
VERSION_KEY = "parley:settings-rows:version"

Value = TypeVar("Value")


class SettingsCache(Generic[Value]):
    """`load(key)` once per process while the shared version holds. A None is not kept: a row made
    a moment later is found at once."""

    def __init__(self, load: Callable[[Hashable], Value | None]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._values: dict[Hashable, tuple[str, float, Value]] = {}

    def get(self, key: Hashable) -> Value | None:
        version = cache.get_or_set(VERSION_KEY, _new_version, timeout=None)
        with self._lock:
            cached = self._values.get(key)
        if cached is not None and cached[0] == version and time.monotonic() - cached[1] < CACHE_SECONDS:
            return copy.copy(cached[2])
        value = self._load(key)
        if value is not None:
            with self._lock:
                self._values[key] = (version, time.monotonic(), value)
        return copy.copy(value)


_by_key: SettingsCache[Inbox] = SettingsCache(
    lambda public_key: Inbox.objects.filter(public_key=public_key, is_active=True).first()
)
_by_id: SettingsCache[Inbox] = SettingsCache(lambda pk: Inbox.objects.filter(pk=pk, is_active=True).first())


def active_inbox_by_key(public_key: str) -> Inbox | None:
    """The active inbox with this public key (a webhook's, a widget's), or None."""
    return _by_key.get(public_key)


def active_inbox(inbox_id: int) -> Inbox | None:
    """The inbox `inbox_id` while it is active, or None."""
    return _by_id.get(inbox_id)


def settings_rows_changed(**_) -> None:
    """Connected to the post_save and post_delete of every model a SettingsCache reads (apps.py):
    every process reads again. Now, for this transaction's own reads, and again once it commits,
    for what another process read in between (the row as it was before this commit)."""
    _bump()
    transaction.on_commit(_bump, robust=True)


def _bump() -> None:
    cache.set(VERSION_KEY, _new_version(), timeout=None)


def _new_version() -> str:
    return uuid.uuid4().hex
