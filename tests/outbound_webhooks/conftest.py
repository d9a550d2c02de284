"""Fixtures for outbound webhooks: a real receiving endpoint, subscriptions made through the
service, the broker's queue as the worker would see it, and a clean subscription index."""

from collections.abc import Callable, Iterator

import pytest
from kombu.simple import SimpleQueue

from config.celery import app
from conversations import services as conversation_services
from conversations.models import Conversation, Inbox, Message
from outbound_webhooks import services
from outbound_webhooks.index import subscription_index
from outbound_webhooks.models import EventType, WebhookSubscription

from .receiver import Receiver


@pytest.fixture(autouse=True)
def fresh_subscription_index() -> Iterator[None]:
    """The index is per process: one a test filled from rows it then rolled back must not make
    the next test (of any app) look subscriptions up."""
    subscription_index.invalidate()
    yield
    subscription_index.invalidate()


@pytest.fixture(autouse=True)
def short_timeout_and_fast_hashing(settings) -> None:
    """A timeout under test is half a second, not ten; agents are made by the dozen here."""
    settings.PARLEY_WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver().start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def subscribe(db: None, receiver: Receiver) -> Callable[..., WebhookSubscription]:
    """subscribe(event_types=every type, inboxes=(), url=receiver.url) -> an active subscription."""

    def make(
        event_types: list[str] | None = None, inboxes: list[Inbox] = (), url: str | None = None
    ) -> WebhookSubscription:
        return services.subscription_create(
            name="Acme CRM",
            url=url or receiver.url,
            event_types=event_types or list(EventType.values),
            inbox_ids=[inbox.pk for inbox in inboxes],
        )

    return make


def reply(conversation: Conversation, agent, body: str = "Your parcel ships today.", **fields) -> Message:
    return conversation_services.message_post_reply(
        conversation=conversation, agent=agent, body=body, **fields
    )


def take_queued_tasks() -> list[tuple[str, list, dict]]:
    """Empty the broker's default queue, as a worker would; returns (task name, args, headers)."""
    taken = []
    with app.connection_for_read() as connection:
        queue = SimpleQueue(connection, app.conf.task_default_queue)
        try:
            while True:
                message = queue.get_nowait()  # publishing is synchronous: all are there
                args, _kwargs, _embed = message.payload
                taken.append((message.headers["task"], args, message.headers))
                message.ack()
        except queue.Empty:
            pass
        finally:
            queue.close()
    return taken


@pytest.fixture
def queued_tasks() -> Iterator[Callable[[], list[tuple[str, list, dict]]]]:
    take_queued_tasks()  # whatever an earlier test left behind
    yield take_queued_tasks
    take_queued_tasks()
