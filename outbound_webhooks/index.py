"""Which subscriptions might want an event: a per-process index, so that the common case (no
subscription wants it) costs a message no query at all.

The index is a hint, never the truth: the subscriber asks the database about the candidates it
names before writing anything, so a stale entry costs one query, never a wrong delivery. A change
made in this process empties its index at once; other processes hear of it through a generation
token in the shared cache (Redis in production), which each process reads at most once per
RECHECK_SECONDS. So a subscription created in one process is seen by another within about a
second; an event in that second is not delivered to it (docs/webhooks.md says so).
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "outbound_webhooks:subscriptions:generation"
RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Route:
    subscription_id: int
    inbox_ids: frozenset[int]  # empty: every inbox

    def takes(self, inbox_id: int | None) -> bool:
        return not self.inbox_ids or inbox_id in self.inbox_ids


class SubscriptionIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, tuple[Route, ...]] | None = None
        self._generation: object = None
        self._checked_at = 0.0

    def candidates(self, event_type: str, inbox_id: int | None) -> list[int]:
        """Ids of the active subscriptions that, as far as this process knows, want the event."""
        routes = self._current()
        return [route.subscription_id for route in routes.get(event_type, ()) if route.takes(inbox_id)]

    def invalidate(self) -> None:
        """Forget this process's index; the next event reloads it."""
        with self._lock:
            self._routes = None

    def announce_change(self) -> None:
        """Subscriptions changed: this process forgets now, the others once the change commits
        (before that they would reload the old rows and keep them)."""
        self.invalidate()
        transaction.on_commit(_bump_generation, robust=True)

    def _current(self) -> dict[str, tuple[Route, ...]]:
        routes = self._routes
        if routes is not None and time.monotonic() - self._checked_at < RECHECK_SECONDS:
            return routes
        with self._lock:
            generation = _shared_generation()
            self._checked_at = time.monotonic()
            if self._routes is None or generation != self._generation or generation is _UNKNOWN:
                self._routes, self._generation = _load_routes(), generation
            return self._routes


_UNKNOWN = object()


def _shared_generation() -> object:
    try:
        return cache.get(GENERATION_KEY)
    except Exception:
        # Without the shared cache, fall back to reading the table on each recheck.
        logger.warning("subscription generation unreadable; reloading subscriptions", exc_info=True)
        return _UNKNOWN


def _bump_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def _load_routes() -> dict[str, tuple[Route, ...]]:
    """Every active subscription's event types and inbox filter, in one query."""
    from .models import WebhookSubscription

    event_types: dict[int, list[str]] = {}
    inbox_ids: dict[int, set[int]] = {}
    rows = WebhookSubscription.objects.filter(is_active=True).values_list("pk", "event_types", "inboxes")
    for subscription_id, types, inbox_id in rows:
        event_types[subscription_id] = types or []
        inboxes = inbox_ids.setdefault(subscription_id, set())
        if inbox_id is not None:
            inboxes.add(inbox_id)
    routes: dict[str, list[Route]] = {}
    for subscription_id, types in event_types.items():
        route = Route(subscription_id, frozenset(inbox_ids[subscription_id]))
        for event_type in types:
            routes.setdefault(event_type, []).append(route)
    return {event_type: tuple(listed) for event_type, listed in routes.items()}


subscription_index = SubscriptionIndex()
