import asyncio
from datetime import datetime, timedelta

import pytest
import time_machine
from channels.layers import get_channel_layer
from django.utils import timezone

from conversations import events, pacing, registry
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory

# A traceback or a 500 in a server the tests started fails the test that saw it.
pytest_plugins = ["tests.server_logs"]


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Production settings expect collectstatic's manifest; tests render templates without one."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True


@pytest.fixture(autouse=True)
def queue_announced_on_every_move(settings):
    """No Celery worker runs in the tests to send a window's closing queue announcement; the
    window has its own test (tests/conversations/test_live_sessions.py)."""
    settings.PARLEY_QUEUE_ANNOUNCE_SECONDS = 0


@pytest.fixture
def inbox(db):
    return InboxFactory()


@pytest.fixture
def sms_inbox(db):
    return InboxFactory(name="SMS", channel_type="sms")


@pytest.fixture
def contact(db):
    return ContactFactory()


@pytest.fixture
def conversation(inbox, contact):
    return ConversationFactory(inbox=inbox, contact=contact)


@pytest.fixture
def agent(inbox):
    """An agent (a staff user with a profile) who is a member of `inbox`."""
    profile = AgentProfileFactory(display_name="Ana")
    InboxMembershipFactory(inbox=inbox, agent=profile.user)
    return profile.user


class Clock:
    """The tests' controllable clock. Every reader of the wall clock sees it (timezone.now, model
    defaults, datetime.now, time.time; not time.monotonic, so timeouts and event loops still run).
    It stands still until moved: code under test runs at one instant, like a frozen photograph."""

    def __init__(self, traveller) -> None:
        self._traveller = traveller

    def now(self) -> datetime:
        return timezone.now()

    def advance(self, **delta: float) -> datetime:
        """Move forward by timedelta(**delta); returns the new now."""
        self._traveller.shift(timedelta(**delta))
        return self.now()


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield Clock(traveller)


class GroupListener:
    """Joins channel-layer groups through the real configured layer and collects what arrives.

    It runs on the publisher's loop: a layer's receive buffers are bound to the loop that first
    used them (and the in-memory layer cannot be shared across loops at all). One receive stays
    pending for the listener's life, as a consumer's does: the pub/sub layer drops a channel whose
    receive is cancelled.
    """

    def __init__(self, *groups: str) -> None:
        self.layer = get_channel_layer()
        self.channel = events.publisher.call(self.layer.new_channel("test."))
        for group in groups:
            events.publisher.call(self.layer.group_add(group, self.channel))
        self.inbox = events.publisher.call(self._start_receiving())

    async def _start_receiving(self) -> asyncio.Queue:
        inbox: asyncio.Queue = asyncio.Queue()

        async def receive_forever() -> None:
            while True:
                inbox.put_nowait(await self.layer.receive(self.channel))

        self.receiving = asyncio.get_running_loop().create_task(receive_forever())
        return inbox

    def receive_all(self, timeout: float = 0.3) -> list[dict]:
        events.publisher.drain()

        async def drain() -> list[dict]:
            received = []
            while True:
                try:
                    received.append(await asyncio.wait_for(self.inbox.get(), timeout))
                except TimeoutError:
                    return received

        return events.publisher.call(drain())

    def close(self) -> None:
        async def stop() -> None:
            self.receiving.cancel()
            flush = getattr(self.layer, "flush", None)
            if flush is not None:
                await flush()

        events.publisher.call(stop())


@pytest.fixture
def listen():
    """listen(*groups) -> GroupListener; the layer is flushed afterwards."""
    listeners = []

    def make(*groups: str) -> GroupListener:
        listener = GroupListener(*groups)
        listeners.append(listener)
        return listener

    yield make
    for listener in listeners:
        listener.close()


class RecordingSender:
    """A test fake for a provider (like Django's locmem email backend): records what it was asked
    to send, and fails as told, in the same error classes real adapters raise."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.failures: list[Exception] = []

    def send(self, message) -> registry.SendReceipt:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message.pk)
        return registry.SendReceipt(provider_message_id=f"SM{message.pk:030d}")

    def find_accepted(self, message, *, since) -> registry.SendReceipt | None:
        raise registry.CannotTell


@pytest.fixture
def sms_sender():
    """The SMS channel's real adapter stands aside for a recorder while the test runs."""
    real = registry.sender_for("sms")
    sender = RecordingSender()
    registry.register_sender("sms", sender)
    yield sender
    _restore_sender("sms", real)


@pytest.fixture
def no_requeue(monkeypatch) -> list[float]:
    """The delivery retries the task schedules (their countdowns), collected instead of sent to
    the broker: the test calls the task again itself."""
    from conversations.tasks import deliver_message

    scheduled: list[float] = []
    monkeypatch.setattr(deliver_message, "apply_async", lambda args, countdown: scheduled.append(countdown))
    return scheduled


@pytest.fixture
def no_sms_adapter():
    real = registry.sender_for("sms")
    registry.unregister_sender("sms")
    yield
    _restore_sender("sms", real)


def _restore_sender(channel_type: str, sender) -> None:
    if sender is None:
        registry.unregister_sender(channel_type)
    else:
        registry.register_sender(channel_type, sender)


@pytest.fixture
def nice_of_durable_hand_overs():
    """The nice value of the thread on which each batch of events reached durable subscribers."""
    heard_at: list[int] = []

    def hear(batch):
        heard_at.append(pacing.thread_nice())

    events.subscribe_durably(hear)
    yield heard_at
    events._durable_subscribers.remove(hear)
