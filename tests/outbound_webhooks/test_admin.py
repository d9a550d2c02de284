"""The webhooks admin: subscriptions edited and acted on through services, a delivery log with its
attempts and a replay action, and list pages whose query count does not grow with their rows."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from outbound_webhooks import services
from outbound_webhooks.models import EventType, WebhookDelivery, WebhookSubscription
from tests.factories.conversations import InboxFactory

from .conftest import reply
from .receiver import Answer

State = WebhookDelivery.State
SUBSCRIPTIONS = "admin:outbound_webhooks_webhooksubscription_changelist"
DELIVERIES = "admin:outbound_webhooks_webhookdelivery_changelist"


def reported(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def delivered_and_failed(subscribe, conversation, agent, receiver) -> tuple[WebhookDelivery, WebhookDelivery]:
    subscribe([EventType.MESSAGE_CREATED])
    reply(conversation, agent)
    reply(conversation, agent)
    first, second = WebhookDelivery.objects.order_by("created_at", "payload__data__message__seq")
    receiver.answer(Answer(200), Answer(410))
    services.webhook_deliver(delivery_id=first.pk)
    services.webhook_deliver(delivery_id=second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    return first, second


def build_log(subscribe, receiver, conversation, agent, rows: int) -> None:
    """`rows` subscriptions (each filtered to an inbox) and `rows` deliveries with attempts."""
    inboxes = [InboxFactory(), InboxFactory()]
    for number in range(rows):
        subscribe([EventType.CONVERSATION_ASSIGNED], inboxes=inboxes[: number % 3])
    everything = subscribe([EventType.MESSAGE_CREATED])
    receiver.default = Answer(500)
    for _ in range(rows):
        reply(conversation, agent)
    for delivery in WebhookDelivery.objects.filter(subscription=everything):
        services.webhook_deliver(delivery_id=delivery.pk)


# session, user, count, full count, page, the inboxes prefetch
# session, user, choices of the subscription filter, count, page (subscriptions joined in)
CHANGELISTS = {SUBSCRIPTIONS: 6, DELIVERIES: 5}


@pytest.mark.parametrize("rows", [3, 12])
@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_list_query_counts_do_not_grow_with_rows(
    admin_client, subscribe, receiver, conversation, agent, django_assert_num_queries, url_name, rows
):
    build_log(subscribe, receiver, conversation, agent, rows)

    with django_assert_num_queries(CHANGELISTS[url_name]):
        response = admin_client.get(reverse(url_name))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= rows


@pytest.mark.parametrize("failures", [1, 8])
def test_delivery_page_query_count_does_not_grow_with_attempts(
    admin_client, subscribe, receiver, conversation, agent, clock, django_assert_num_queries, failures
):
    subscribe([EventType.MESSAGE_CREATED])
    reply(conversation, agent)
    delivery = WebhookDelivery.objects.get()
    receiver.default = Answer(500)
    for _ in range(failures):
        services.webhook_deliver(delivery_id=delivery.pk)
        clock.advance(hours=3)

    url = reverse("admin:outbound_webhooks_webhookdelivery_change", args=[delivery.pk])
    admin_client.get(url)  # Django caches the content type on the first visit

    # session, user, the delivery (subscription joined in), its attempts
    with django_assert_num_queries(4):
        response = admin_client.get(url)

    page = response.content.decode()
    assert page.count("HTTP 500") >= failures
    assert "message.created" in page and "&quot;body&quot;" in page  # the payload, escaped


def test_a_subscription_made_in_the_admin_is_delivered_to_at_once(
    admin_client, receiver, conversation, agent
):
    response = admin_client.post(
        reverse("admin:outbound_webhooks_webhooksubscription_add"),
        {
            "name": "Acme CRM",
            "url": receiver.url,
            "event_types": [EventType.MESSAGE_CREATED, EventType.CONVERSATION_ASSIGNED],
            "inboxes": [conversation.inbox_id],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors

    reply(conversation, agent)  # in this process: the index was told

    subscription = WebhookSubscription.objects.get()
    assert subscription.secret.startswith("whsec_") and subscription.is_active
    assert list(subscription.inboxes.all()) == [conversation.inbox]
    assert WebhookDelivery.objects.get().subscription == subscription


def test_the_add_form_refuses_an_unknown_or_empty_event_list(admin_client, receiver):
    url = reverse("admin:outbound_webhooks_webhooksubscription_add")

    empty = admin_client.post(url, {"name": "Acme", "url": receiver.url})
    unknown = admin_client.post(
        url, {"name": "Acme", "url": receiver.url, "event_types": ["agent.mentioned"]}
    )

    assert empty.status_code == unknown.status_code == 200
    assert not WebhookSubscription.objects.exists()


def test_the_change_page_shows_the_secret_and_why_a_subscription_is_disabled(admin_client, subscribe):
    subscription = subscribe()
    services.subscription_disable(subscription=subscription, reason="Disabled automatically: gone.")

    change = admin_client.get(
        reverse("admin:outbound_webhooks_webhooksubscription_change", args=[subscription.pk])
    ).content.decode()
    listing = admin_client.get(reverse(SUBSCRIPTIONS)).content.decode()

    assert subscription.secret in change
    assert "Disabled automatically: gone." in change and "Disabled automatically: gone." in listing


def test_rotate_and_reenable_actions(admin_client, subscribe):
    subscription = subscribe()
    old_secret = subscription.secret
    services.subscription_disable(subscription=subscription, reason="Endpoint down")

    rotated = admin_client.post(
        reverse(SUBSCRIPTIONS),
        {"action": "rotate_secret", "_selected_action": [subscription.pk]},
        follow=True,
    )
    enabled = admin_client.post(
        reverse(SUBSCRIPTIONS), {"action": "enable", "_selected_action": [subscription.pk]}, follow=True
    )

    subscription.refresh_from_db()
    assert subscription.secret != old_secret and subscription.previous_secret == old_secret
    assert subscription.is_active and subscription.disabled_reason == "" and subscription.disabled_at is None
    assert reported(rotated) == ["New secret: 1 webhook subscription."]
    assert reported(enabled) == ["Re-enabled: 1 webhook subscription."]


def test_the_ping_action_queues_a_test_event(
    admin_client, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe()

    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(
            reverse(SUBSCRIPTIONS), {"action": "send_ping", "_selected_action": [subscription.pk]}
        )

    ping = WebhookDelivery.objects.get(event_type="ping")
    assert len(callbacks) == 1  # its task, after commit
    services.webhook_deliver(delivery_id=ping.pk)
    assert receiver.requests[0].header("Parley-Event") == "ping"


def test_replay_action_sends_delivered_and_failed_again_and_leaves_pending_alone(
    admin_client, delivered_and_failed, conversation, agent, django_capture_on_commit_callbacks
):
    delivered, failed = delivered_and_failed
    reply(conversation, agent)
    pending = WebhookDelivery.objects.get(state=State.PENDING)

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            reverse(DELIVERIES),
            {"action": "replay", "_selected_action": [delivered.pk, failed.pk, pending.pk]},
            follow=True,
        )

    states = dict(WebhookDelivery.objects.values_list("pk", "state"))
    assert states == {delivered.pk: State.PENDING, failed.pk: State.PENDING, pending.pk: State.PENDING}
    assert len(callbacks) == 2
    assert sorted(reported(response)) == [
        "Queued again: 2 webhook deliveries.",
        "Still on its way, left alone: 1 webhook delivery.",
    ]


def test_the_log_filters_by_state_and_subscription_and_finds_by_id(admin_client, delivered_and_failed):
    delivered, failed = delivered_and_failed
    url = reverse(DELIVERIES)

    by_state = admin_client.get(url, {"state__exact": "failed"}).context["cl"].result_list
    by_subscription = admin_client.get(url, {"subscription__id__exact": delivered.subscription_id})
    by_id = admin_client.get(url, {"q": str(delivered.pk)}).context["cl"].result_list
    by_conversation = admin_client.get(url, {"q": str(delivered.conversation_id)}).context["cl"].result_list
    nonsense = admin_client.get(url, {"q": "not-an-id"}).context["cl"].result_list

    assert list(by_state) == [failed]
    assert len(by_subscription.context["cl"].result_list) == 2
    assert list(by_id) == [delivered]
    assert len(by_conversation) == 2
    assert list(nonsense) == []
