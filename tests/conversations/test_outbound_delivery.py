"""Invariant 5's foundation: the durable outbox row, the forward-only delivery status, and the
delivery task's attempts. The task function is called directly and its effects asserted; the
provider is a recording fake registered in the core's registry (tests/conftest.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import registry, services
from conversations.models import DeliveryAttempt, Message, OutboundDelivery
from conversations.services.delivery import can_advance
from conversations.tasks import deliver_message
from tests.conftest import RecordingSender
from tests.factories.conversations import ConversationFactory

Status = Message.DeliveryStatus
State = OutboundDelivery.State
Outcome = DeliveryAttempt.Outcome


@pytest.fixture
def sms_conversation(sms_inbox):
    return ConversationFactory(inbox=sms_inbox)


@pytest.fixture
def sms_reply(sms_conversation, agent):
    return services.message_post_reply(
        conversation=sms_conversation, agent=agent, body="Your parcel ships today."
    )


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("pending", "sent", True),
        ("sent", "delivered", True),
        ("delivered", "read", True),
        ("pending", "read", True),
        ("read", "delivered", False),
        ("delivered", "sent", False),
        ("sent", "failed", True),
        ("delivered", "failed", False),
        ("failed", "delivered", False),
        ("sent", "sent", False),
    ],
)
def test_delivery_status_only_moves_forward(current, new, allowed):
    assert can_advance(current, new) is allowed


def test_a_reply_on_a_provider_channel_is_pending_with_its_outbox_row(sms_reply):
    assert sms_reply.delivery_status == Status.PENDING
    assert sms_reply.outbound.state == State.QUEUED


def test_a_private_note_never_enters_the_outbox(sms_conversation, agent):
    note = services.message_post_reply(
        conversation=sms_conversation, agent=agent, body="call them", is_private=True
    )
    assert not OutboundDelivery.objects.filter(message=note).exists()


def test_the_task_sends_once_and_records_the_provider_id(sms_reply, sms_sender):
    deliver_message(sms_reply.pk)
    deliver_message(sms_reply.pk)  # the broker redelivered the task: nothing is sent again

    assert sms_sender.sent == [sms_reply.pk]
    sms_reply.refresh_from_db()
    assert sms_reply.delivery_status == Status.SENT
    assert sms_reply.provider_message_id == f"SM{sms_reply.pk:030d}"
    assert sms_reply.outbound.state == State.DONE
    assert sms_reply.outbound.attempts == 1


def test_a_transient_error_schedules_a_retry_with_the_providers_retry_after(
    sms_reply, sms_sender, no_requeue
):
    sms_sender.failures.append(
        registry.TransientDeliveryError("429 Too Many Requests", code="20429", retry_after=7)
    )
    deliver_message(sms_reply.pk)

    assert no_requeue == [7]
    sms_reply.refresh_from_db()
    assert sms_reply.delivery_status == Status.PENDING
    assert (sms_reply.outbound.state, sms_reply.outbound.attempts) == (State.QUEUED, 1)
    assert sms_reply.outbound.last_error == "429 Too Many Requests"

    deliver_message(sms_reply.pk)  # the retry
    sms_reply.refresh_from_db()
    assert sms_reply.delivery_status == Status.SENT
    assert sms_sender.sent == [sms_reply.pk]


def test_a_permanent_error_fails_at_once_with_the_reason(sms_reply, sms_sender, no_requeue):
    sms_sender.failures.append(
        registry.PermanentDeliveryError("The 'To' number is not a valid phone number.", code="21211")
    )
    deliver_message(sms_reply.pk)

    assert no_requeue == []
    sms_reply.refresh_from_db()
    assert sms_reply.delivery_status == Status.FAILED
    assert (sms_reply.provider_error_code, sms_reply.outbound.state) == ("21211", State.DEAD)
    assert "not a valid phone number" in sms_reply.provider_error


def test_transient_errors_give_up_after_the_last_attempt(sms_reply, sms_sender, no_requeue):
    OutboundDelivery.objects.filter(message=sms_reply).update(attempts=services.MAX_DELIVERY_ATTEMPTS - 1)
    sms_sender.failures.append(registry.TransientDeliveryError("timeout"))
    deliver_message(sms_reply.pk)
    sms_reply.refresh_from_db()
    assert sms_reply.delivery_status == Status.FAILED


def test_a_failed_message_retried_from_the_desk_really_sends_again(sms_reply, sms_sender, no_requeue):
    sms_sender.failures.append(registry.PermanentDeliveryError("blocked", code="30003"))
    deliver_message(sms_reply.pk)

    services.message_retry_delivery(message_id=sms_reply.pk)
    sms_reply.refresh_from_db()
    assert (sms_reply.delivery_status, sms_reply.outbound.state) == (Status.PENDING, State.QUEUED)

    deliver_message(sms_reply.pk)
    sms_reply.refresh_from_db()
    assert sms_reply.delivery_status == Status.SENT
    assert sms_sender.sent == [sms_reply.pk]


def test_a_task_does_not_send_while_another_worker_holds_the_lease(sms_reply, sms_sender):
    OutboundDelivery.objects.filter(message=sms_reply).update(
        state=State.IN_FLIGHT, next_attempt_at=timezone.now() + timedelta(minutes=4)
    )
    deliver_message(sms_reply.pk)
    assert sms_sender.sent == []


def test_without_a_registered_adapter_the_message_waits_unfailed(sms_reply, no_sms_adapter, no_requeue):
    for _ in range(services.MAX_DELIVERY_ATTEMPTS + 2):
        deliver_message(sms_reply.pk)
    sms_reply.refresh_from_db()
    assert sms_reply.delivery_status == Status.PENDING
    assert (sms_reply.outbound.state, sms_reply.outbound.attempts) == (State.QUEUED, 0)
    assert "No adapter" in sms_reply.outbound.last_error
    assert sms_reply.outbound.next_attempt_at > timezone.now()  # the sweep rechecks later
    assert no_requeue == []


def test_late_and_duplicate_status_callbacks_are_harmless(sms_reply, sms_sender):
    deliver_message(sms_reply.pk)
    for status in ["delivered", "sent", "delivered", "failed"]:  # out of order and repeated
        services.message_update_delivery_status(message_id=sms_reply.pk, status=status, error="late failure")
    sms_reply.refresh_from_db()
    assert sms_reply.delivery_status == Status.DELIVERED
    assert sms_reply.provider_error == ""


def test_the_sweep_requeues_due_rows_and_a_stale_lease(sms_conversation, agent, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(deliver_message, "apply_async", lambda args, countdown=None: queued.append(*args))
    due = services.message_post_reply(conversation=sms_conversation, agent=agent, body="a")
    stale = services.message_post_reply(conversation=sms_conversation, agent=agent, body="b")
    held = services.message_post_reply(conversation=sms_conversation, agent=agent, body="c")
    past, future = timezone.now() - timedelta(seconds=1), timezone.now() + timedelta(minutes=3)
    OutboundDelivery.objects.filter(message=due).update(next_attempt_at=past)
    OutboundDelivery.objects.filter(message=stale).update(state=State.IN_FLIGHT, next_attempt_at=past)
    OutboundDelivery.objects.filter(message=held).update(state=State.IN_FLIGHT, next_attempt_at=future)

    assert services.outbound_requeue_due() == 2
    assert sorted(queued) == sorted([due.pk, stale.pk])


def test_every_attempt_is_recorded_with_its_outcome(sms_reply, sms_sender, no_requeue):
    sms_sender.failures.append(registry.TransientDeliveryError("503 Service Unavailable", code="503"))
    deliver_message(sms_reply.pk)
    deliver_message(sms_reply.pk)

    attempts = list(sms_reply.outbound.attempt_log.values_list("number", "outcome", "error_code"))
    assert attempts == [(1, Outcome.RETRY, "503"), (2, Outcome.ACCEPTED, "")]
    assert sms_reply.outbound.attempt_log.last().provider_message_id == f"SM{sms_reply.pk:030d}"


def test_a_lost_answer_is_never_sent_blindly_again_where_the_provider_cannot_tell(
    sms_reply, sms_sender, no_requeue
):
    sms_sender.failures.append(registry.TransientDeliveryError("read timeout", ambiguous=True))
    deliver_message(sms_reply.pk)  # the answer was lost: maybe accepted
    deliver_message(sms_reply.pk)  # the recorder cannot be asked (CannotTell)

    sms_reply.refresh_from_db()
    assert sms_sender.sent == []
    assert sms_reply.delivery_status == Status.FAILED
    assert sms_reply.provider_error_code == services.delivery.UNKNOWN_OUTCOME
    assert "no way to check" in sms_reply.provider_error

    services.message_retry_delivery(message_id=sms_reply.pk)  # the agent chooses to send again
    deliver_message(sms_reply.pk)
    sms_reply.refresh_from_db()
    assert (sms_reply.delivery_status, sms_sender.sent) == (Status.SENT, [sms_reply.pk])


class FindingSender(RecordingSender):
    """A provider that can be asked about a send whose answer was lost (as Twilio can)."""

    def __init__(self, has_it: bool) -> None:
        super().__init__()
        self.has_it = has_it

    def find_accepted(self, message, *, since):
        return registry.SendReceipt(provider_message_id="SMfound") if self.has_it else None


@pytest.mark.parametrize("has_it", [True, False])
def test_a_worker_that_died_mid_send_is_settled_by_asking_the_provider(
    sms_reply, has_it, no_requeue, monkeypatch
):
    sender = FindingSender(has_it)
    monkeypatch.setitem(registry._senders, "sms", sender)
    OutboundDelivery.objects.filter(message=sms_reply).update(state=State.IN_FLIGHT, attempts=1)
    DeliveryAttempt.objects.create(delivery=sms_reply.outbound, number=1, started_at=timezone.now())
    deliver_message(sms_reply.pk)  # the lease ran out: the next worker picks it up

    sms_reply.refresh_from_db()
    assert sms_reply.delivery_status == Status.SENT
    outcomes = list(sms_reply.outbound.attempt_log.values_list("outcome", flat=True))
    if has_it:
        assert (sender.sent, sms_reply.provider_message_id, outcomes) == ([], "SMfound", [Outcome.FOUND])
    else:
        assert (sender.sent, outcomes) == ([sms_reply.pk], [Outcome.NOT_SENT, Outcome.ACCEPTED])
