"""Events that announce committed changes, and the one helper that publishes them.

Events are ids and scalars, and message.created also carries its message as agents see it,
rendered once by the writer from the row it has just stored: no socket reads the database to
deliver an event (a client socket drops the agent-only fields). An event lost by the
(at-most-once) channel layer costs nothing but a resync: every event about a conversation
carries that conversation's latest `seq`, and history comes from the database.

Groups: agents listen on their inboxes' groups; a widget or app client listens on its contact's
group for its inbox. Private notes and agent-only activity are published to the inbox group alone.
Event types, their payloads and audiences: conversations.event_catalogue; nothing is published
that it does not declare.
"""

import asyncio
import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from operations.metrics import EVENTS_PUBLISHED, bound

from .event_catalogue import EventType, LayerEvent, check_layer_event

logger = logging.getLogger(__name__)

# What goes through the channel layer: one of the catalogue's payloads (the catalogue declares
# every event type, its payload and who receives it).
Event = LayerEvent
PUBLISHED_AT = "published_at"
MAX_CONSUMER_LAG_SECONDS = 30.0
# The most events the publisher sends in one go (one pipeline): what a sweep's batch publishes.
PUBLISH_BATCH = 200


def consumer_lag(event: Event) -> float:
    """How late a consumer is handling this event; a socket this far behind should resync."""
    published_at = event.get(PUBLISHED_AT)
    return 0.0 if published_at is None else time.time() - published_at


def inbox_group(inbox_id: int) -> str:
    return f"inbox.{inbox_id}"


def contact_group(contact_id: int, inbox_id: int) -> str:
    """A customer's clients on one inbox: an identified user is one contact across inboxes, and
    a widget of one inbox must hear nothing of another."""
    return f"contact.{contact_id}.inbox.{inbox_id}"


def conversation_groups(conversation: Any, *, agents_only: bool = False) -> tuple[str, ...]:
    """The groups that hear about this conversation: its inbox's agents and, unless the event is
    agent-only, its contact's clients."""
    if agents_only:
        return (inbox_group(conversation.inbox_id),)
    return inbox_group(conversation.inbox_id), contact_group(conversation.contact_id, conversation.inbox_id)


def conversation_event(event_type: EventType, conversation: Any, **fields: Any) -> Event:
    """An event about one conversation, stamped with its latest seq and its assignee (so a desk
    knows whose it is without asking; client sockets pass on only named fields)."""
    return {
        "type": event_type,
        "conversation_id": conversation.pk,
        "inbox_id": conversation.inbox_id,
        "seq": conversation.last_seq,
        "assignee_id": conversation.assignee_id,
        **fields,
    }


class Publisher:
    """Sends events from one long-lived event loop, one at a time, in the order they were committed.

    Writers never wait on the layer: on commit they hand the event over and return. The loop is a
    thread of this process's own (re-made after a fork, for prefork workers), unless the server
    lends its loop with `use_loop` (the embedded shape must: the in-memory layer lives on the
    server's loop).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None

    def use_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._start_on(loop)

    def submit(self, groups: tuple[str, ...], event: Event) -> None:
        self.submit_many([(groups, event)])

    def submit_many(self, sends: Sequence[tuple[tuple[str, ...], Event]]) -> None:
        """Hand events over, in order, with one wake-up of the publishing loop: a sweep's batch
        of a hundred ends no longer wakes it (and switches threads) a hundred times."""
        loop, queue = self._started()
        published_at = time.time()
        stamped = []
        for groups, event in sends:
            check_layer_event(event)
            bound(EVENTS_PUBLISHED, event["type"]).inc()
            stamped.append((groups, {**event, PUBLISHED_AT: published_at}))
        loop.call_soon_threadsafe(_put_all, queue, stamped)

    def call(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        """Run a coroutine on the publishing loop and wait for it (tools and tests that must share
        the loop the layer is used from)."""
        loop, _ = self._started()
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)

    def drain(self, timeout: float = 10) -> None:
        """Wait until every event handed over so far has been sent."""
        _, queue = self._started()
        self.call(queue.join(), timeout)

    def _drain_at_exit(self) -> None:
        try:
            self.drain(timeout=2)
        except Exception:
            logger.warning("exiting with events unsent; clients will resync by seq")

    def _started(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue]:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    loop = asyncio.new_event_loop()
                    threading.Thread(target=loop.run_forever, name="parley-events", daemon=True).start()
                    self._start_on(loop)
                    # A short-lived command (seed_demo, a one-off script) sends what it committed.
                    atexit.register(self._drain_at_exit)
        return self._loop, self._queue

    def _start_on(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop, self._queue, self._pid = loop, asyncio.Queue(), os.getpid()
        queue = self._queue
        loop.call_soon_threadsafe(lambda: loop.create_task(self._send_forever(queue)))

    @staticmethod
    async def _send_forever(queue: asyncio.Queue) -> None:
        """Send what is waiting, up to PUBLISH_BATCH events at a time, in commit order: through
        the layer's group_send_many (one pipeline) where it has one, else one group_send each."""
        while True:
            batch = [await queue.get()]
            while len(batch) < PUBLISH_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                layer = get_channel_layer()
                sends = [(group, event) for groups, event in batch for group in groups]
                send_many = getattr(layer, "group_send_many", None)
                if send_many is not None:
                    await send_many(sends)
                else:
                    for group, event in sends:
                        await layer.group_send(group, event)
            except Exception:
                # Already committed: clients that miss them resync by seq (invariant 4).
                logger.exception("could not publish %s events", len(batch))
            finally:
                for _ in batch:
                    queue.task_done()


def _put_all(queue: asyncio.Queue, items: list) -> None:
    for item in items:
        queue.put_nowait(item)


publisher = Publisher()


DurableSubscriber = Callable[[Sequence[Event]], None]
_durable_subscribers: list[DurableSubscriber] = []
_together = threading.local()


def subscribe_durably(subscriber: DurableSubscriber) -> None:
    """Hear every event inside the transaction that causes it, so what `subscriber` writes (a
    business's webhook delivery, a report's fact) commits or rolls back with the change itself:
    at-least-once where the channel layer is at-most-once. An edge app registers once, when it is
    ready. A subscriber takes a batch: one event, or every event of a `published_together` block."""
    if subscriber not in _durable_subscribers:
        _durable_subscribers.append(subscriber)


@contextmanager
def published_together() -> Iterator[None]:
    """Hand durable subscribers the events published inside this block as one batch when it ends
    (a sweep that ends a hundred chats writes their facts in one statement, not a hundred), and
    the publisher those of them for sockets in one hand-over after commit. The block ends inside
    the transaction; an exception in it hands nothing over and sends nothing."""
    outer = getattr(_together, "events", None)
    if outer is not None:  # nested: the outermost block hands everything over
        yield
        return
    _together.events, _together.sends = [], []
    try:
        yield
        batch, sends = _together.events, _together.sends
    finally:
        _together.events = _together.sends = None
    _hand_over(batch)
    if sends:
        transaction.on_commit(lambda: publisher.submit_many(sends), robust=True)


def publish_on_commit(event: Event, *, groups: Iterable[str]) -> None:
    """Publish `event` to `groups` once the current transaction commits; never if it rolls back.
    Durable subscribers hear it first, inside the transaction (at the end of the enclosing
    `published_together` block, if any, which also hands its events to the publisher together).

    Outside a transaction Django runs the callback at once, which is after the autocommit write.
    An event the catalogue does not declare is refused here, in the publisher's own transaction.
    """
    check_layer_event(event)
    groups = tuple(groups)
    pending = getattr(_together, "events", None)
    if pending is None:
        _hand_over([event])
        transaction.on_commit(lambda: publisher.submit(groups, event), robust=True)
    else:
        pending.append(event)
        _together.sends.append((groups, event))


def hand_over_durably(event: Event) -> None:
    """Hand `event` to durable subscribers alone, inside the transaction, as publish_on_commit
    does, but send it to no socket: a change whose sockets hear of it through another event (a
    live chat's end stands for its resolve, its unassignment and its end line: session.ended)."""
    check_layer_event(event)
    pending = getattr(_together, "events", None)
    if pending is None:
        _hand_over([event])
    else:
        pending.append(event)


def _hand_over(batch: Sequence[Event]) -> None:
    if batch:
        for subscriber in _durable_subscribers:
            subscriber(batch)
