"""The contract every channel adapter keeps, run against each entry in adapter_cases.CASES:

- a correctly signed post is stored, from the customer; a forged or unsigned one is refused and
  stores nothing;
- a replayed post, one after another or all at once, stores one message and announces it once;
- delivery reports arriving out of order never move a message backwards;
- each send outcome (accepted, refused for good, refused for now, answer lost) ends in one
  known state, and nothing is ever sent twice unasked.
- offered replies go as the provider's buttons, and a tap comes back as the whole title
  (test_adapter_buttons.py, from each entry's `buttons`).

Real parts only: Postgres, the URL the provider posts to, real signatures, and sends through
the fake provider's wire formats (or a business's endpoint on 127.0.0.1 for the API channel).
"""

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.http import HttpResponse

from channels_in.adapters import by_provider
from channels_in.models import WebhookReceipt
from conversations import events
from conversations.event_catalogue import EventType
from conversations.models import Conversation, DeliveryAttempt, Inbox, Message, OutboundDelivery
from conversations.services.delivery import UNKNOWN_OUTCOME
from conversations.tasks import deliver_message
from tests.channels.adapter_cases import CASES
from tests.channels.adapter_cases.entry import (
    AdapterCase,
    Forgery,
    NoStatusReports,
    Refusal,
    Retry,
    Settled,
    StatusReports,
)
from tests.channels.conftest import reply_to

Status = Message.DeliveryStatus
State = OutboundDelivery.State
Outcome = DeliveryAttempt.Outcome
TIMES = 3  # how often a provider redelivers the same post, in the replay tests

# The entries' inboxes are fixtures fetched by name inside each test: the database is set up first.
pytestmark = pytest.mark.django_db


def by_case(pairs: list[tuple[AdapterCase, object, str]]) -> list:
    return [pytest.param(case, value, id=f"{case}: {name}") for case, value, name in pairs]


def inbox_of(request: pytest.FixtureRequest, fixture: str) -> Inbox:
    return request.getfixturevalue(fixture)


def inbound_inbox(request: pytest.FixtureRequest, case: AdapterCase) -> Inbox:
    """The inbox the case's posts go to, ready for a customer to write."""
    inbox = inbox_of(request, case.inbound.inbox)
    if case.inbound.before:
        case.inbound.before(inbox)
    return inbox


# --- every adapter has an entry, and every entry covers the whole contract ---


def test_every_registered_adapter_has_a_contract_entry():
    registered = {type(adapter) for adapter in by_provider.ADAPTERS}
    covered = [case.adapter for case in CASES]

    missing = {adapter.__name__ for adapter in registered - set(covered)}
    assert not missing, f"add an entry for {sorted(missing)} to tests/channels/adapter_cases/ (and CASES)"
    assert sorted(covered, key=str) == sorted(registered, key=str)  # one entry each, none stale
    channel_types = {
        channel_type for adapter in by_provider.ADAPTERS for channel_type in adapter.channel_types
    }
    assert sorted(case.channel_type for case in CASES) == sorted(channel_types)
    for case in CASES:
        assert case.channel_type in case.adapter.channel_types, case.name


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_entry_says_how_it_refuses_retries_and_reports(case: AdapterCase):
    assert case.inbound.replayed in case.inbound.samples
    assert case.sending.refusals and case.sending.retries, "every provider refuses and rate-limits"
    if isinstance(case.statuses, NoStatusReports):
        assert case.statuses.why, "say why the provider sends no delivery reports"
    else:
        assert case.statuses.statuses <= {"sent", "delivered", "read", "failed"}
        assert ("failed" in case.statuses.statuses) == (case.statuses.failure is not None)


# --- signatures ---

SAMPLES = by_case([(case, sample, name) for case in CASES for name, sample in case.inbound.samples.items()])


@pytest.mark.parametrize(("case", "sample"), SAMPLES)
def test_every_signed_sample_is_accepted_and_stored_from_the_customer(request, case, sample):
    inbox = inbound_inbox(request, case)

    response = sample.make(inbox).post()

    assert response.status_code == case.inbound.answers[0], response.content
    message = Message.objects.get(inbox=inbox)
    assert message.sender_kind == Message.SenderKind.CONTACT
    if sample.body is not None:
        assert message.body == sample.body
    if case.inbound.keeps_receipts:
        assert WebhookReceipt.objects.get(inbox=inbox).processed_at is not None


def forgeries(case: AdapterCase) -> dict[str, Forgery]:
    """The entry's own forgeries, and the two every adapter refuses: no signature, a wrong one."""
    inbound = case.inbound
    genuine = inbound.samples[inbound.replayed].make
    return {
        "no signature": Forgery(lambda inbox: genuine(inbox).with_header(inbound.signature_header, None)),
        "wrong signature": Forgery(
            lambda inbox: genuine(inbox).with_header(inbound.signature_header, inbound.wrong_signature)
        ),
        **inbound.forgeries,
    }


FORGERIES = by_case([(case, forgery, name) for case in CASES for name, forgery in forgeries(case).items()])


@pytest.mark.parametrize(("case", "forgery"), FORGERIES)
def test_a_forged_or_unsigned_post_is_refused_and_stores_nothing(request, case, forgery):
    inbox = inbound_inbox(request, case)

    response = forgery.make(inbox).post()

    assert response.status_code == (forgery.refused_with or case.inbound.refused_with), response.content
    assert not WebhookReceipt.objects.exists()
    assert not Message.objects.exists()


# --- replays ---


def assert_stored_once(case: AdapterCase, inbox: Inbox, answers: list[int], listener) -> None:
    first, replay = case.inbound.answers
    assert sorted(answers) == sorted([first] + [replay] * (TIMES - 1))
    assert Message.objects.filter(inbox=inbox).count() == 1
    assert Conversation.objects.filter(inbox=inbox).count() == 1
    assert WebhookReceipt.objects.filter(inbox=inbox).count() == int(case.inbound.keeps_receipts)
    created = [event for event in listener.receive_all() if event["type"] == EventType.MESSAGE_CREATED]
    assert len(created) == 1


@pytest.mark.parametrize("case", CASES, ids=str)
def test_sequential_replays_store_one_message_and_announce_it_once(
    request, case, listen, django_capture_on_commit_callbacks
):
    inbox = inbound_inbox(request, case)
    listener = listen(events.inbox_group(inbox.pk))
    post = case.inbound.samples[case.inbound.replayed].make(inbox)

    with django_capture_on_commit_callbacks(execute=True):
        answers = [post.post().status_code for _ in range(TIMES)]

    assert answers == [case.inbound.answers[0]] + [case.inbound.answers[1]] * (TIMES - 1)
    assert_stored_once(case, inbox, answers, listener)


def replay_concurrently(post: Callable[[], HttpResponse]) -> list[int]:
    """`post` from TIMES threads released together; their answers' statuses."""
    start = threading.Barrier(TIMES)
    answers: list[int] = []

    def replay() -> None:
        start.wait()
        try:
            answers.append(post().status_code)
        finally:
            connection.close()  # each thread's own connection, so the test database can be dropped

    threads = [threading.Thread(target=replay) for _ in range(TIMES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_concurrent_replays_store_one_message_and_announce_it_once(request, case, listen):
    inbox = inbound_inbox(request, case)
    listener = listen(events.inbox_group(inbox.pk))
    post = case.inbound.samples[case.inbound.replayed].make(inbox)

    answers = replay_concurrently(post.post)

    assert_stored_once(case, inbox, answers, listener)


# --- delivery reports ---

REPORTING = [case for case in CASES if isinstance(case.statuses, StatusReports)]
ORDERS = [
    (("read", "delivered", "sent", "delivered"), Status.READ),
    (("delivered", "sent", "delivered", "sent"), Status.DELIVERED),
    (("read", "delivered"), Status.READ),
    (("delivered", "failed"), Status.DELIVERED),  # failed only from pending or sent
    (("failed", "delivered", "read"), Status.FAILED),  # only an agent's retry moves a failed message
    (("read", "read"), Status.READ),
]


def sent_reply(request: pytest.FixtureRequest, reports: StatusReports) -> Message:
    """A reply the provider accepted as `reports.provider_message_id`."""
    reply = reply_to(inbox_of(request, reports.inbox), reports.customer, body="It ships today.")
    Message.objects.filter(pk=reply.pk).update(
        provider_message_id=reports.provider_message_id, delivery_status=Status.SENT
    )
    reply.refresh_from_db()
    return reply


ORDERINGS = by_case(
    [
        (case, (order, final), f"{', '.join(order)} -> {final}")
        for case in REPORTING
        for order, final in ORDERS
        if set(order) <= case.statuses.statuses
    ]
)


@pytest.mark.parametrize(("case", "ordering"), ORDERINGS)
def test_reports_out_of_order_and_repeated_never_move_a_message_backwards(request, case, ordering):
    order, final = ordering
    reply = sent_reply(request, case.statuses)
    inbox = reply.conversation.inbox

    for status in order:
        assert case.statuses.report(inbox, reply, status).post().status_code == 200

    reply.refresh_from_db()
    assert reply.delivery_status == final


@pytest.mark.parametrize("case", [case for case in REPORTING if case.statuses.failure], ids=str)
def test_a_failed_report_fails_the_message_with_the_reason_in_words(request, case):
    reply = sent_reply(request, case.statuses)
    failure = case.statuses.failure

    assert case.statuses.report(reply.conversation.inbox, reply, "failed").post().status_code == 200

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.provider_error_code) == (Status.FAILED, failure.code)
    for words in failure.words:
        assert words in reply.provider_error


# --- send outcomes ---


def attempts(reply: Message) -> list[str]:
    return list(reply.outbound.attempt_log.order_by("number").values_list("outcome", flat=True))


@pytest.fixture
def sending(request):
    """sending(case, customer=None) -> (endpoint, reply): an agent's reply, pending, on the case's
    sending inbox, to its customer."""

    def make(case: AdapterCase, customer: str | None = None):
        endpoint = case.sending.endpoint(request)
        inbox = inbox_of(request, case.sending.inbox)
        return endpoint, reply_to(inbox, customer or case.sending.customer)

    return make


@pytest.mark.parametrize("case", CASES, ids=str)
def test_an_accepted_send_is_recorded_once_though_the_task_runs_twice(case, sending, no_requeue):
    endpoint, reply = sending(case)

    deliver_message(reply.pk)
    deliver_message(reply.pk)  # the broker redelivered the task: nothing is sent again

    [send] = endpoint.accepted()
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.provider_message_id) == (
        Status.SENT,
        case.sending.provider_id(reply, send),
    )
    assert reply.outbound.state == State.DONE and attempts(reply) == [Outcome.ACCEPTED]
    assert endpoint.calls() == 1 and no_requeue == []


REFUSALS = by_case(
    [(case, refusal, name) for case in CASES for name, refusal in case.sending.refusals.items()]
)


@pytest.mark.parametrize(("case", "refusal"), REFUSALS)
def test_a_refusal_for_good_fails_the_message_at_once_in_words(case, refusal: Refusal, sending, no_requeue):
    endpoint, reply = sending(case, refusal.customer)
    refusal.arrange(endpoint, reply.conversation.inbox)

    deliver_message(reply.pk)
    deliver_message(reply.pk)  # a dead delivery is never tried again

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.provider_error_code) == (Status.FAILED, refusal.code)
    if refusal.whole:
        assert (reply.provider_error,) == refusal.words
    for words in refusal.words:
        assert words in reply.provider_error
    assert reply.outbound.state == State.DEAD and no_requeue == []
    assert endpoint.accepted() == [] and endpoint.calls() == refusal.calls


RETRIES = by_case([(case, retry, name) for case in CASES for name, retry in case.sending.retries.items()])


@pytest.mark.parametrize(("case", "retry"), RETRIES)
def test_a_refusal_for_now_is_retried_and_sent_once(case, retry: Retry, sending, no_requeue):
    endpoint, reply = sending(case)
    retry.arrange(endpoint, reply.conversation.inbox)

    deliver_message(reply.pk)

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.outbound.state) == (Status.PENDING, State.QUEUED)
    assert retry.words in reply.outbound.last_error
    [retry_in] = no_requeue
    if retry.retry_after is None:
        assert 1 <= retry_in <= 2  # the first backoff step, jittered
    else:
        assert retry_in == retry.retry_after

    deliver_message(reply.pk)  # the retry

    reply.refresh_from_db()
    assert reply.delivery_status == Status.SENT
    assert len(endpoint.accepted()) == 1
    log = list(reply.outbound.attempt_log.order_by("number").values_list("outcome", "error_code"))
    assert [outcome for outcome, _ in log] == [Outcome.RETRY, Outcome.ACCEPTED]
    assert log[1][1] == "" and (not retry.code or log[0][1] == retry.code)


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case}: {case.sending.lost_answer.settled}")
def test_a_lost_answer_is_settled_without_sending_twice_unasked(case, sending, no_requeue):
    lost = case.sending.lost_answer
    endpoint, reply = sending(case)
    lost.arrange(endpoint, reply.conversation.inbox)

    deliver_message(reply.pk)  # accepted, but the answer never came back in time

    reply.refresh_from_db()
    assert reply.delivery_status == Status.PENDING and len(no_requeue) == 1
    assert attempts(reply) == [Outcome.UNKNOWN]

    deliver_message(reply.pk)  # the retry settles the lost answer first

    reply.refresh_from_db()
    if lost.settled == Settled.FOUND:  # the provider had it: recorded, not sent again
        [send] = endpoint.accepted()
        assert (reply.delivery_status, reply.provider_message_id) == (
            Status.SENT,
            case.sending.provider_id(reply, send),
        )
        assert attempts(reply) == [Outcome.FOUND]
    elif lost.settled == Settled.CANNOT_TELL:  # fails saying so; only an agent's retry resends
        assert (reply.delivery_status, reply.provider_error_code) == (Status.FAILED, UNKNOWN_OUTCOME)
        for words in lost.words:
            assert words in reply.provider_error
        assert attempts(reply) == [Outcome.UNKNOWN] and endpoint.calls() == 1
        assert reply.outbound.state == State.DEAD
    else:  # the receiver drops repeats, so it was sent again
        assert reply.delivery_status == Status.SENT
        assert attempts(reply) == [Outcome.NOT_SENT, Outcome.ACCEPTED] and endpoint.calls() == 2
