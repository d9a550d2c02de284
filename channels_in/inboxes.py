"""The inbox a webhook names, from the process's memory while no inbox changed.

Every webhook read its inbox (a query through the ORM: a fifth of the answer's CPU). Inboxes
change rarely, so each process keeps those it read, valid for as long as the shared version (a
Redis key through Django's cache) is the one they were read under: saving or deleting any inbox
bumps it once that commits, so a rotated secret or an inbox switched off holds for the very next
webhook in every process. A write that skips the model's signals (QuerySet.update) is seen within
INBOX_CACHE_SECONDS at the latest.
"""

import threading
import time
import uuid

from django.core.cache import cache
from django.db import transaction

from conversations.models import Inbox

INBOX_CACHE_SECONDS = 60.0
VERSION_KEY = "parley:inboxes:version"

_lock = threading.Lock()
_inboxes: dict[str, tuple[str, float, Inbox]] = {}  # public key -> (version, read at, inbox)


def webhook_inbox(public_key: str, channel_types: tuple[str, ...]) -> Inbox | None:
    """The active inbox with this public key and one of these channel types, or None."""
    version = cache.get_or_set(VERSION_KEY, _new_version, timeout=None)
    with _lock:
        cached = _inboxes.get(public_key)
    if cached is not None and cached[0] == version and time.monotonic() - cached[1] < INBOX_CACHE_SECONDS:
        inbox = cached[2]
    else:
        inbox = Inbox.objects.filter(public_key=public_key, is_active=True).first()
        if inbox is None:  # not cached: an inbox made a moment later takes its webhooks at once
            return None
        with _lock:
            _inboxes[public_key] = (version, time.monotonic(), inbox)
    return inbox if inbox.channel_type in channel_types else None


def inboxes_changed(**_) -> None:
    """Connected to Inbox's post_save and post_delete (apps.py): every process reads again. Now,
    for this transaction's own reads, and again once it commits, for what another process read
    in between (the row as it was before this commit)."""
    _bump()
    transaction.on_commit(_bump, robust=True)


def _bump() -> None:
    cache.set(VERSION_KEY, _new_version(), timeout=None)


def _new_version() -> str:
    return uuid.uuid4().hex
