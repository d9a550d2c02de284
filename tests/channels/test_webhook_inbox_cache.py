"""The inbox a webhook names is read from the process's cache while no inbox changed: a webhook
costs no inbox query, and a change (a rotated secret, an inbox switched off) holds for the very
next webhook, in every process (the cache's version is shared in Redis)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_in.inboxes import webhook_inbox
from conversations.models import ChannelType, Inbox
from tests.factories.conversations import InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inbox():
    return InboxFactory(channel_type=ChannelType.SMS, public_key="cached-sms", config={"auth_token": "one"})


def lookup() -> Inbox | None:
    return webhook_inbox("cached-sms", (ChannelType.SMS,))


def test_a_second_webhook_reads_no_inbox(inbox):
    assert lookup().config["auth_token"] == "one"
    with CaptureQueriesContext(connection) as queries:
        again = lookup()
    assert again.pk == inbox.pk
    assert [query["sql"] for query in queries.captured_queries] == []


def test_a_rotated_secret_holds_for_the_next_webhook(inbox):
    lookup()
    inbox.config = {"auth_token": "two"}
    inbox.save()
    assert lookup().config["auth_token"] == "two"


def test_an_inbox_switched_off_or_deleted_takes_no_more_webhooks(inbox):
    lookup()
    inbox.is_active = False
    inbox.save(update_fields=["is_active"])
    assert lookup() is None
    inbox.is_active = True
    inbox.save(update_fields=["is_active"])
    assert lookup() is not None
    inbox.delete()
    assert lookup() is None


def test_another_channels_key_or_an_unknown_one_finds_nothing(inbox):
    assert webhook_inbox("cached-sms", (ChannelType.WHATSAPP,)) is None
    assert webhook_inbox("no-such-key", (ChannelType.SMS,)) is None


@pytest.mark.django_db(transaction=False)
def test_an_inbox_changed_inside_a_transaction_is_read_again_in_it():
    """Inside the change's own transaction (as a whole test is here): no stale row."""
    inbox = InboxFactory(channel_type=ChannelType.SMS, public_key="cached-sms", config={"auth_token": "one"})
    lookup()
    inbox.config = {"auth_token": "two"}
    inbox.save()
    assert lookup().config["auth_token"] == "two"
