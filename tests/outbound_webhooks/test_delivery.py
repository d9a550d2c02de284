"""Delivering to a business's endpoint: a real HTTP server answers, the service and the task are
called directly (as a worker would) and their effects asserted; time moves with the `clock`."""

import json
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from api_common.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify
from outbound_webhooks import services
from outbound_webhooks.models import EventType, WebhookAttempt, WebhookDelivery
from outbound_webhooks.tasks import deliver_webhook, requeue_due_webhooks
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, UserFactory
from tests.factories.conversations import ConversationFactory

from .conftest import reply
from .receiver import Answer

State = WebhookDelivery.State
DELIVER_TASK = "outbound_webhooks.tasks.deliver_webhook"


@pytest.fixture
def subscription(subscribe):
    return subscribe([EventType.MESSAGE_CREATED])


@pytest.fixture
def owe(subscription, conversation, agent):
    """owe() -> a new pending delivery (an agent's reply) of `subscription`."""

    def make() -> WebhookDelivery:
        message = reply(conversation, agent)
        return WebhookDelivery.objects.get(payload__data__message__id=message.pk)

    return make


def deliver(delivery: WebhookDelivery) -> services.DeliveryOutcome:
    outcome = services.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return outcome


def attempt_log(delivery: WebhookDelivery) -> list[tuple[int, int | None, str]]:
    return [
        (attempt.number, attempt.status_code, attempt.error)
        for attempt in WebhookAttempt.objects.filter(delivery=delivery).order_by("number")
    ]


def test_a_2xx_delivers_a_signed_request_with_the_snapshot(owe, subscription, receiver, clock):
    delivery = owe()
    receiver.answer(Answer(202, body=b"thanks"))

    outcome = deliver(delivery)

    (request,) = receiver.requests
    assert outcome.state == State.DELIVERED
    assert request.header(DELIVERY_HEADER) == str(delivery.pk)
    assert request.header(EVENT_HEADER) == "message.created"
    assert request.header("Content-Type") == "application/json"
    assert json.loads(request.body) == delivery.payload
    now = clock.now().timestamp()
    assert verify(subscription.secret, request.body, request.header(SIGNATURE_HEADER), now=now)
    assert not verify(subscription.secret, request.body + b" ", request.header(SIGNATURE_HEADER), now=now)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (State.DELIVERED, 1, 202)
    assert delivery.delivered_at == clock.now()
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert (attempt.status_code, attempt.response_excerpt, attempt.error) == (202, "thanks", "")
    assert attempt.finished_at is not None and attempt.duration_ms is not None


def test_only_the_first_kilobyte_of_an_answer_is_kept(owe, receiver):
    delivery = owe()
    receiver.answer(Answer(500, body=b"x" * 5000))

    deliver(delivery)

    assert WebhookAttempt.objects.get(delivery=delivery).response_excerpt == "x" * 1024


def test_a_500_and_a_timeout_are_retried_with_backoff_then_delivered(owe, receiver, clock):
    delivery = owe()
    receiver.answer(Answer(500), Answer(200, delay=1.5), Answer(200))
    started = clock.now()

    first = deliver(delivery)
    assert first.state == State.PENDING
    assert 1.0 <= first.retry_in <= services.BASE_DELAY_SECONDS  # full jitter up to 30 s
    assert delivery.next_attempt_at == started + timedelta(seconds=first.retry_in)

    clock.advance(seconds=first.retry_in)
    second = deliver(delivery)  # the endpoint answers after 1.5 s; we wait 0.5 s
    assert second.state == State.PENDING
    assert 1.0 <= second.retry_in <= 2 * services.BASE_DELAY_SECONDS
    assert "Timed out" in delivery.last_error

    clock.advance(seconds=second.retry_in)
    assert deliver(delivery).state == State.DELIVERED

    assert [number for number, _, _ in attempt_log(delivery)] == [1, 2, 3]
    assert [code for _, code, _ in attempt_log(delivery)] == [500, None, 200]
    assert attempt_log(delivery)[0][2] == "HTTP 500"
    ids = {request.header(DELIVERY_HEADER) for request in receiver.wait_for(3)}
    assert ids == {str(delivery.pk)}  # one delivery id for every attempt
    assert (delivery.state, delivery.attempts, delivery.first_attempt_at) == (State.DELIVERED, 3, started)


def test_a_task_for_a_delivery_not_yet_due_sends_nothing(owe, receiver, clock):
    delivery = owe()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=clock.now() + timedelta(minutes=1))

    assert deliver(delivery).state == State.PENDING

    assert receiver.requests == []
    assert delivery.attempts == 0


def test_the_backoff_grows_exponentially_with_full_jitter_and_a_ceiling():
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (6, 960), (9, 7680), (10, 10800), (40, 10800)]:
        waits = [services.RETRY_POLICY.backoff_seconds(attempts) for _ in range(200)]
        assert all(1.0 <= wait <= ceiling for wait in waits)
        assert max(waits) > ceiling / 2  # spread over the whole range, not clustered at the top


def test_retries_stop_24_hours_after_the_first_attempt_and_the_subscription_is_disabled(
    owe, subscription, receiver, clock, mailoutbox, conversation, agent
):
    UserFactory(username="owner", email="owner@example.com", is_superuser=True)
    receiver.default = Answer(503)
    delivery, waiting = owe(), owe()
    started = clock.now()
    deliver(delivery)

    clock.advance(hours=23, minutes=59)
    outcome = deliver(delivery)
    assert outcome.state == State.PENDING  # still inside the window...
    assert delivery.next_attempt_at <= started + services.RETRY_WINDOW  # ...and never retried past it
    assert mailoutbox == []

    clock.advance(minutes=1)
    outcome = deliver(delivery)

    assert outcome.state == State.FAILED and outcome.retry_in is None
    assert "gave up" in delivery.last_error
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.disabled_reason.startswith("Disabled automatically: Every delivery has failed since")
    assert subscription.disabled_at == clock.now()
    waiting.refresh_from_db()
    assert waiting.state == State.FAILED  # what it still owed fails visibly, unsent
    assert "subscription was disabled" in waiting.last_error
    (mail,) = mailoutbox
    assert mail.to == ["owner@example.com"]
    assert subscription.name in mail.subject and subscription.disabled_reason in mail.body
    sent_before = len(receiver.requests)
    reply(conversation, agent)
    assert WebhookDelivery.objects.filter(state=State.PENDING).count() == 0  # nothing new is owed
    assert len(receiver.requests) == sent_before == 3


def test_410_gone_fails_for_good_at_once(owe, subscription, receiver):
    delivery = owe()
    receiver.answer(Answer(410))

    outcome = deliver(delivery)

    assert outcome == services.DeliveryOutcome(State.FAILED)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (State.FAILED, 1, 410)
    assert "gone" in delivery.last_error
    assert deliver(delivery).state == State.FAILED  # a redelivered task sends nothing more
    assert len(receiver.requests) == 1
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.consecutive_failures == 1


def test_deliveries_failed_for_good_in_a_row_disable_the_subscription(
    owe, subscription, receiver, mailoutbox
):
    receiver.default = Answer(410)
    for _ in range(services.DISABLE_AFTER_FAILED_DELIVERIES - 1):
        deliver(owe())
    subscription.refresh_from_db()
    assert subscription.is_active

    deliver(owe())

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert f"{services.DISABLE_AFTER_FAILED_DELIVERIES} deliveries in a row" in subscription.disabled_reason


def test_one_delivered_clears_the_failure_record(owe, subscription, receiver):
    receiver.answer(Answer(410), Answer(500), Answer(200))
    deliver(owe())
    deliver(owe())
    subscription.refresh_from_db()
    assert (subscription.consecutive_failures, subscription.failing_since is not None) == (1, True)

    deliver(owe())

    subscription.refresh_from_db()
    assert (subscription.consecutive_failures, subscription.failing_since) == (0, None)


def test_a_network_error_is_a_failed_attempt(owe, receiver):
    delivery = owe()
    receiver.stop()  # nothing listens any more

    outcome = deliver(delivery)

    assert outcome.state == State.PENDING
    assert delivery.last_status_code is None
    assert "ConnectError" in delivery.last_error


def test_replay_resends_with_the_same_delivery_id_and_new_attempts(owe, receiver, clock):
    delivered, failed = owe(), owe()
    receiver.answer(Answer(200), Answer(410))
    deliver(delivered)
    deliver(failed)

    for delivery in (delivered, failed):
        replayed = services.delivery_replay(delivery=delivery)
        assert (replayed.pk, replayed.state) == (delivery.pk, State.PENDING)
    clock.advance(minutes=5)
    assert deliver(delivered).state == State.DELIVERED
    assert deliver(failed).state == State.DELIVERED

    requests = receiver.wait_for(4)
    by_id = [(request.header(DELIVERY_HEADER), request.body) for request in requests]
    assert by_id[0] == by_id[2] and by_id[1] == by_id[3]  # same id, same snapshot
    assert [number for number, _, _ in attempt_log(delivered)] == [1, 2]
    assert delivered.first_attempt_at == clock.now()  # a new retry window


def test_replay_leaves_a_pending_delivery_alone_and_refuses_a_disabled_subscription(owe, subscription):
    pending = owe()
    assert services.delivery_replay(delivery=pending).state == State.PENDING
    WebhookDelivery.objects.filter(pk=pending.pk).update(state=State.FAILED)
    services.subscription_disable(subscription=subscription, reason="Paused.")

    with pytest.raises(ValidationError):
        services.delivery_replay(delivery=pending)


def test_a_disabled_subscription_is_not_sent_to_but_a_ping_is(owe, subscription, receiver):
    delivery = owe()
    services.subscription_disable(subscription=subscription, reason="Paused by Ana.")
    delivery.refresh_from_db()
    assert delivery.state == State.FAILED

    ping = services.subscription_send_ping(subscription=subscription)
    assert deliver(ping).state == State.DELIVERED

    (request,) = receiver.requests
    assert request.header(EVENT_HEADER) == "ping"
    assert json.loads(request.body)["data"]["subscription_id"] == subscription.pk


def test_a_rotated_secret_signs_alongside_the_old_one_for_a_day(owe, subscription, receiver, clock):
    old_secret = subscription.secret
    rotated = services.subscription_rotate_secret(subscription=subscription)
    assert rotated.secret != old_secret

    deliver(owe())
    clock.advance(hours=24, seconds=1)
    deliver(owe())

    during, after = receiver.wait_for(2)
    now = clock.now().timestamp()
    assert verify(old_secret, during.body, during.header(SIGNATURE_HEADER), tolerance_seconds=None)
    assert verify(rotated.secret, during.body, during.header(SIGNATURE_HEADER), tolerance_seconds=None)
    assert verify(rotated.secret, after.body, after.header(SIGNATURE_HEADER), now=now)
    assert not verify(old_secret, after.body, after.header(SIGNATURE_HEADER), now=now)


def test_a_delivery_whose_subscription_is_gone_is_dropped(owe, subscription):
    delivery = owe()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(subscription_id=subscription.pk + 1000)

    assert services.webhook_deliver(delivery_id=delivery.pk).state == "missing"
    assert not WebhookDelivery.objects.filter(pk=delivery.pk).exists()


def test_the_task_queues_its_retry_with_a_countdown(owe, receiver, queued_tasks):
    delivery = owe()
    receiver.answer(Answer(500))

    deliver_webhook(str(delivery.pk))

    ((_task, args, headers),) = [queued for queued in queued_tasks() if queued[0] == DELIVER_TASK]
    assert args == [str(delivery.pk)]
    assert headers["eta"] is not None  # apply_async(countdown=…)


def test_a_retry_longer_than_the_broker_may_hold_is_left_to_the_sweep(owe, receiver, clock, settings):
    settings.CELERY_VISIBILITY_TIMEOUT = 1  # every backoff is longer than 0.8 s may be held
    delivery = owe()
    receiver.answer(Answer(500), Answer(500))
    deliver(delivery)
    clock.advance(seconds=30)

    outcome = deliver(delivery)

    assert outcome.state == State.PENDING and outcome.retry_in is None


def test_the_sweep_queues_deliveries_due_a_while_ago_and_leaves_fresh_ones(owe, clock, queued_tasks):
    stale, fresh = owe(), None
    clock.advance(minutes=2)
    fresh = owe()

    assert requeue_due_webhooks() == 1

    queued = [args for task, args, _ in queued_tasks() if task == DELIVER_TASK]
    assert queued == [[str(stale.pk)]]
    assert fresh.state == State.PENDING


def worker(delivery: WebhookDelivery, outcomes: list) -> Callable[[], None]:
    """Another worker process, as far as the database can tell: its own thread and connection."""

    def work() -> None:
        try:
            outcomes.append(services.webhook_deliver(delivery_id=delivery.pk))
        finally:
            connection.close()

    return work


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_lease_keeps_a_second_worker_from_sending_the_same_delivery(subscribe, receiver):
    subscribe([EventType.MESSAGE_CREATED])
    conversation = ConversationFactory()
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=conversation.inbox, agent=agent)
    reply(conversation, agent)
    delivery = WebhookDelivery.objects.get()
    gate = receiver.hold()
    outcomes: list[services.DeliveryOutcome] = []
    first_worker = threading.Thread(target=worker(delivery, outcomes))

    first_worker.start()
    receiver.wait_for(1)  # the first worker's request is at the endpoint, unanswered
    second = services.webhook_deliver(delivery_id=delivery.pk)  # the broker redelivered the task
    gate.set()
    first_worker.join(timeout=10)

    assert second.state == State.DELIVERING  # leased: nothing sent
    assert outcomes == [services.DeliveryOutcome(State.DELIVERED)]
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.DELIVERED, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_outlives_its_lease_cannot_overwrite_the_one_that_took_over(
    subscribe, receiver, settings
):
    settings.PARLEY_WEBHOOK_TIMEOUT_SECONDS = 5.0
    subscribe([EventType.MESSAGE_CREATED])
    conversation = ConversationFactory()
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=conversation.inbox, agent=agent)
    reply(conversation, agent)
    delivery = WebhookDelivery.objects.get()
    receiver.answer(Answer(500, delay=2.0), Answer(200))
    outcomes: list[services.DeliveryOutcome] = []
    slow_worker = threading.Thread(target=worker(delivery, outcomes))

    slow_worker.start()
    receiver.wait_for(1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=delivery.created_at
    )  # lease ran out
    taken_over = services.webhook_deliver(delivery_id=delivery.pk)
    slow_worker.join(timeout=10)

    assert taken_over.state == State.DELIVERED
    assert outcomes == [services.DeliveryOutcome("lease_lost")]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (State.DELIVERED, 2, 200)
    assert attempt_log(delivery)[0][1] == 500  # the slow attempt is still on record
