"""Queue announcements: customers waiting in a live inbox's queue hear their position and an
estimated wait as the queue moves (a session opened, was taken, or ended while waiting). The
queue itself and its waits are reads: conversations.selectors (live_queue, session_states)."""

from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .. import events, jobs
from ..commit import on_commit_once
from ..event_catalogue import EventType
from ..selectors import QUEUE_PUBLISH_LIMIT, estimated_wait_seconds, live_queue, typical_queue_wait

SWEPT_QUEUE_SETTLE_SECONDS = 5.0


def queue_moved(inbox_id: int) -> None:
    """The inbox's queue moved in this transaction: its customers hear of it once, after commit,
    however many moves the transaction made."""
    on_commit_once(("queue", inbox_id), lambda: queue_announce(inbox_id))


def queue_announce(inbox_id: int) -> None:
    """The inbox's queue moved: its waiting customers hear their positions at once, unless they
    heard within the last PARLEY_QUEUE_ANNOUNCE_SECONDS; then once, at the end of that window,
    with the positions as they are by then (the announce_queue task). However fast the queue
    moves, each waiting customer gets at most about two updates a window, and the last is right."""
    window = settings.PARLEY_QUEUE_ANNOUNCE_SECONDS
    if window <= 0 or cache.add(f"parley:queue-announced:{inbox_id}", True, timeout=window):
        publish_queue(inbox_id)
        return
    queue_announce_later(inbox_id, window)


def queue_announce_later(inbox_id: int, delay: float) -> None:
    """Tell the inbox's waiting customers their positions `delay` seconds from now (the
    announce_queue job), unless an announcement is already due: then that one tells them."""
    if cache.add(_due_key(inbox_id), True, timeout=max(delay, 1) * 10):
        jobs.run(jobs.ANNOUNCE_QUEUE, inbox_id, countdown=delay)


def queues_moved_by_sweep(inbox_ids: Iterable[int]) -> None:
    """A sweep moved these queues in this transaction: once it commits, each is announced
    SWEPT_QUEUE_SETTLE_SECONDS after its first move, once however many batches move it meanwhile
    (a drain lasts about that long). A drain of thousands of ended chats would otherwise tell
    every waiting customer their position again every second, from the sweep's own process."""
    moved = sorted(set(inbox_ids))
    if moved:
        transaction.on_commit(lambda: _swept_queues_announce_later(moved), robust=True)


def _swept_queues_announce_later(inbox_ids: list[int]) -> None:
    """queue_announce_later for each queue whose announcement is not already due: through a drain
    (a batch every tenth of a second, each moving most queues) that is one read of the cache for
    them all, not a round trip per queue per batch."""
    due = cache.get_many([_due_key(inbox_id) for inbox_id in inbox_ids])
    for inbox_id in inbox_ids:
        if _due_key(inbox_id) not in due:
            queue_announce_later(inbox_id, SWEPT_QUEUE_SETTLE_SECONDS)


def _due_key(inbox_id: int) -> str:
    return f"parley:queue-announce-due:{inbox_id}"


def queue_announce_due(inbox_id: int) -> None:
    """The end of a window in which the queue moved after its customers last heard: tell them."""
    cache.delete(_due_key(inbox_id))
    publish_queue(inbox_id)


class _Waiting(NamedTuple):
    """A queued session's conversation, as much of it as its event needs (read as plain values:
    a queue of hundreds is announced without building a model instance per customer)."""

    session_id: int
    pk: int
    inbox_id: int
    contact_id: int
    last_seq: int
    assignee_id: int | None


def publish_queue(inbox_id: int) -> None:
    """Tell every customer waiting in this inbox's queue their position and estimated wait.

    Called after commit whenever the queue moves (a session opened, was taken, or ended while
    waiting): one query for the queue (an index range), one for the recent waits, one event per
    waiting customer.
    """
    queued = [
        _Waiting(*row)
        for row in live_queue(inbox_id).values_list(
            "pk",
            "conversation_id",
            "inbox_id",
            "conversation__contact_id",
            "conversation__last_seq",
            "conversation__assignee_id",
        )[:QUEUE_PUBLISH_LIMIT]
    ]
    if not queued:
        return
    typical_wait = typical_queue_wait(inbox_id)
    for position, waiting in enumerate(queued, start=1):
        events.publisher.submit(
            events.conversation_groups(waiting),
            events.conversation_event(
                EventType.SESSION_QUEUED,
                waiting,
                session_id=waiting.session_id,
                queue_position=position,
                estimated_wait_seconds=estimated_wait_seconds(position, typical_wait),
            ),
        )
