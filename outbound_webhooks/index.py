"""Which subscriptions might want an event: a per-process index, so that the common case (no
subscription wants it) costs a message no query at all.

The index is a hint, never the truth: the subscriber asks the database about the candidates it
names before writing anything, so a stale entry costs one query, never a wrong delivery. A change
made in this process empties its index at once, others within about a second
(conversations.process_copy); an event in that second is not delivered to a subscription just
created in another process (docs/webhooks.md says so).
"""

from dataclasses import dataclass

from conversations.process_copy import ProcessCopy

GENERATION_KEY = "outbound_webhooks:subscriptions:generation"


@dataclass(frozen=True)
class Route:
    subscription_id: int
    inbox_ids: frozenset[int]  # empty: every inbox

    def takes(self, inbox_id: int | None) -> bool:
        return not self.inbox_ids or inbox_id in self.inbox_ids


class SubscriptionIndex:
    def __init__(self) -> None:
        self._routes = ProcessCopy(GENERATION_KEY, _load_routes)

    def candidates(self, event_type: str, inbox_id: int | None) -> list[int]:
        """Ids of the active subscriptions that, as far as this process knows, want the event."""
        routes = self._routes.get()
        return [route.subscription_id for route in routes.get(event_type, ()) if route.takes(inbox_id)]

    def invalidate(self) -> None:
        """Forget this process's index; the next event reloads it."""
        self._routes.invalidate()

    def announce_change(self) -> None:
        """Subscriptions changed: this process forgets now, the others once the change commits."""
        self._routes.announce_change()


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
