"""Deliveries are written in the transaction of the change they announce: a committed change owes
each wanting subscription exactly one delivery, a rolled-back one owes nothing, and nothing private
is ever owed to a business."""

import pytest
from django.db import transaction

from conversations import events, process_copy
from conversations import services as conversation_services
from conversations.event_catalogue import EventType as CoreEvent
from conversations.payloads import message_payload
from outbound_webhooks import index
from outbound_webhooks.index import subscription_index
from outbound_webhooks.models import EventType, WebhookDelivery, WebhookSubscription
from outbound_webhooks.subscriber import record_event
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory

from .conftest import reply

DELIVER_TASK = "outbound_webhooks.tasks.deliver_webhook"


class Rollback(Exception):
    pass


def make_agent(inbox):
    profile = AgentProfileFactory(display_name="Ana")
    InboxMembershipFactory(inbox=inbox, agent=profile.user)
    return profile.user


@pytest.mark.django_db(transaction=True)
def test_a_committed_reply_owes_exactly_one_delivery_queued_after_commit(subscribe, queued_tasks):
    subscription = subscribe([EventType.MESSAGE_CREATED])
    conversation = ConversationFactory()
    agent = make_agent(conversation.inbox)

    message = reply(conversation, agent)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.subscription_id, delivery.event_type, delivery.state) == (
        subscription.pk,
        "message.created",
        WebhookDelivery.State.PENDING,
    )
    assert delivery.payload["data"]["message"]["id"] == message.pk
    queued = [args for task, args, _ in queued_tasks() if task == DELIVER_TASK]
    assert queued == [[str(delivery.pk)]]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_reply_owes_nothing_and_queues_nothing(subscribe, queued_tasks):
    subscribe([EventType.MESSAGE_CREATED])
    conversation = ConversationFactory()
    agent = make_agent(conversation.inbox)

    with pytest.raises(Rollback), transaction.atomic():
        reply(conversation, agent)
        assert WebhookDelivery.objects.count() == 1  # written with the message...
        raise Rollback

    assert WebhookDelivery.objects.count() == 0  # ...and gone with it
    assert [task for task, _, _ in queued_tasks() if task == DELIVER_TASK] == []


def test_private_notes_and_activity_lines_are_never_owed(subscribe, conversation, agent):
    subscribe()  # every event type

    reply(conversation, agent, body="VIP, refund without asking", is_private=True)
    conversation_services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)
    conversation_services.conversation_resolve(conversation=conversation, actor=agent)

    owed = list(WebhookDelivery.objects.order_by("created_at").values_list("event_type", flat=True))
    assert "message.created" not in owed  # neither the note nor the "Ana assigned…" lines
    assert sorted(owed) == ["conversation.assigned", "conversation.status_changed"]
    payloads = str(list(WebhookDelivery.objects.values_list("payload", flat=True)))
    assert "VIP" not in payloads
    assert "assigned the conversation" not in payloads


def test_the_inbox_filter_keeps_other_inboxes_events_out(subscribe):
    shop, support = InboxFactory(name="Shop"), InboxFactory(name="Support")
    shop_only = subscribe([EventType.MESSAGE_CREATED], inboxes=[shop])
    everything = subscribe([EventType.MESSAGE_CREATED])
    in_shop, in_support = ConversationFactory(inbox=shop), ConversationFactory(inbox=support)

    reply(in_support, make_agent(support))
    reply(in_shop, make_agent(shop))

    owed = WebhookDelivery.objects.values_list("subscription_id", "conversation_id")
    assert sorted(owed) == sorted(
        [(everything.pk, in_support.pk), (everything.pk, in_shop.pk), (shop_only.pk, in_shop.pk)]
    )


def test_only_subscribed_event_types_are_owed(subscribe, conversation, agent):
    subscribe([EventType.CONVERSATION_STATUS_CHANGED])

    reply(conversation, agent)
    assert not WebhookDelivery.objects.exists()

    conversation_services.conversation_resolve(conversation=conversation, actor=agent)
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["data"]["conversation"]["status"] == "resolved"
    assert delivery.payload["data"]["previous_status"] == "open"


def test_a_disabled_subscription_is_owed_nothing(subscribe, conversation, agent):
    from outbound_webhooks import services

    services.subscription_disable(subscription=subscribe(), reason="testing")

    reply(conversation, agent)

    assert not WebhookDelivery.objects.exists()


def test_a_customer_message_snapshot_has_the_public_fields_and_nothing_for_agents_only(
    subscribe, inbox, settings
):
    settings.PUBLIC_URL = "https://parley.example.com"
    subscribe([EventType.MESSAGE_CREATED, EventType.CONVERSATION_CREATED])
    contact = ContactFactory(name="Grace Hopper")

    message = conversation_services.message_receive(
        inbox=inbox,
        contact=contact,
        body="Where is order 42?",
        attachments=[
            conversation_services.AttachmentInput(mime_type="image/png", file_name="a.png", content=b"png"),
            conversation_services.AttachmentInput(
                mime_type="image/jpeg", remote_url="https://cdn.example/b.jpg"
            ),
        ],
    )

    created = WebhookDelivery.objects.get(event_type="conversation.created").payload
    payload = WebhookDelivery.objects.get(event_type="message.created").payload
    assert created["data"]["conversation"]["contact_id"] == contact.pk
    assert payload["type"] == "message.created"
    assert payload["data"]["conversation"] == {
        "id": message.conversation_id,
        "inbox_id": inbox.pk,
        "contact_id": contact.pk,
        "status": "open",
        "assignee_id": None,
        "last_seq": message.seq,
    }
    sent = payload["data"]["message"]
    assert sent["body"] == "Where is order 42?"
    assert sent["sender"] == {"kind": "contact", "contact_id": contact.pk, "name": "Grace Hopper"}
    stored, remote = sent["attachments"]
    assert stored["url"].startswith("https://parley.example.com/media/attachments/")
    assert remote["url"] is None  # a provider's file: its URL comes with message.updated once stored
    assert set(sent) == {
        "id",
        "seq",
        "sender",
        "content_type",
        "body",
        "attachments",
        "delivery_status",
        "created_at",
    }


def test_an_agent_reply_names_its_agent(subscribe, conversation, agent):
    subscribe([EventType.MESSAGE_CREATED])

    reply(conversation, agent)

    sender = WebhookDelivery.objects.get().payload["data"]["message"]["sender"]
    assert sender == {"kind": "agent", "agent_id": agent.pk, "name": "Ana"}


def message_created_event(conversation, agent) -> events.Event:
    message = reply(conversation, agent)
    return events.conversation_event(
        CoreEvent.MESSAGE_CREATED,
        conversation,
        message_id=message.pk,
        message_seq=message.seq,
        sender_kind=message.sender_kind,
        is_private=False,
        message=message_payload(message, for_agents=True),
    )


def test_an_event_nobody_wants_costs_no_query(subscribe, conversation, agent, django_assert_num_queries):
    subscribe([EventType.CONVERSATION_ASSIGNED], inboxes=[InboxFactory()])
    event = message_created_event(conversation, agent)  # also loads this process's index

    with django_assert_num_queries(0):
        record_event(event)
        record_event({**event, "type": CoreEvent.CONVERSATION_ASSIGNED})  # another inbox's subscription


def test_a_wanted_event_costs_three_queries_however_many_subscriptions(
    subscribe, conversation, agent, django_assert_num_queries
):
    for _ in range(3):
        subscribe([EventType.MESSAGE_CREATED])
    event = message_created_event(conversation, agent)
    WebhookDelivery.objects.all().delete()

    # the subscriptions still wanting it, the conversation's status and contact, one INSERT
    with django_assert_num_queries(3):
        record_event(event)

    assert WebhookDelivery.objects.count() == 3


def test_another_process_change_is_seen_within_the_recheck(
    conversation, agent, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    """A subscription written elsewhere (no local invalidation) is found once the shared
    generation moves and the recheck interval has passed."""
    monkeypatch.setattr(process_copy, "RECHECK_SECONDS", 0.0)
    reply(conversation, agent)  # the index is loaded: nobody subscribes
    subscription = WebhookSubscription.objects.create(
        name="Elsewhere", url=receiver.url, event_types=[EventType.MESSAGE_CREATED]
    )
    reply(conversation, agent)
    assert not WebhookDelivery.objects.exists()  # this process has not heard yet

    with django_capture_on_commit_callbacks(execute=True):
        index.SubscriptionIndex.announce_change(index.SubscriptionIndex())  # "the other process"
    reply(conversation, agent)

    assert list(WebhookDelivery.objects.values_list("subscription_id", flat=True)) == [subscription.pk]
    assert subscription_index.candidates(EventType.MESSAGE_CREATED, conversation.inbox_id) == [
        subscription.pk
    ]


def test_an_index_naming_a_subscription_gone_behind_its_back_heals_itself(
    subscribe, conversation, agent, django_assert_num_queries
):
    subscription = subscribe([EventType.MESSAGE_CREATED])
    event = message_created_event(conversation, agent)  # the index now names the subscription
    WebhookSubscription.objects.filter(pk=subscription.pk).delete()  # not announced

    with django_assert_num_queries(1):
        record_event(event)  # asks the database, which says no: the index is dropped
    with django_assert_num_queries(1):
        record_event(event)  # reloaded: nobody subscribes
    with django_assert_num_queries(0):
        record_event(event)
    assert not WebhookDelivery.objects.exists()
