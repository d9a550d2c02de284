import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from conversations import channels
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory


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


class GroupListener:
    """Joins channel-layer groups through the real configured layer and collects what arrives."""

    def __init__(self, *groups: str) -> None:
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)("test.")
        for group in groups:
            async_to_sync(self.layer.group_add)(group, self.channel)

    def receive_all(self, timeout: float = 0.3) -> list[dict]:
        import asyncio

        async def drain() -> list[dict]:
            received = []
            while True:
                try:
                    received.append(await asyncio.wait_for(self.layer.receive(self.channel), timeout))
                except TimeoutError:
                    return received

        return async_to_sync(drain)()


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
        flush = getattr(listener.layer, "flush", None)
        if flush is not None:
            async_to_sync(flush)()


class RecordingSender:
    """A test fake for a provider (like Django's locmem email backend): records what it was asked
    to send, and fails as told, in the same error classes real adapters raise."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.failures: list[Exception] = []

    def send(self, message) -> channels.SendReceipt:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message.pk)
        return channels.SendReceipt(provider_message_id=f"SM{message.pk:030d}")


@pytest.fixture
def sms_sender():
    sender = RecordingSender()
    channels.register_sender("sms", sender)
    yield sender
    channels.unregister_sender("sms")
