"""The expiry sweep as a paced drain: a batch ends its chats and leaves routing and the queue's
announcements to jobs, so it never waits on them; the task queues the next batch after a pause
while batches are full; durable subscribers still hear every change a chat's end made."""

import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from agents.presence import agent_desk_connected
from conversations import services, tasks
from conversations.models import Conversation, LiveSession, Message
from conversations.services.queue import SWEPT_QUEUE_SETTLE_SECONDS
from reports.models import Fact
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, InboxFactory


@pytest.fixture
def live_inbox(db):
    return InboxFactory(name="Live chat", mode="live", session_timeout=timedelta(minutes=10))


def write(inbox, body="Hello?") -> Conversation:
    return services.message_receive(inbox=inbox, contact=ContactFactory(), body=body).conversation


@pytest.fixture
def queued_jobs(monkeypatch):
    """The Celery jobs queued, by task name (the broker is not what these tests are about)."""
    queued = []
    for task in (tasks.announce_queue, tasks.route_freed_agents, tasks.expire_live_sessions):
        monkeypatch.setattr(
            task,
            "apply_async",
            lambda args=(), kwargs=None, countdown=None, name=task.name: queued.append(
                (name, list(args), countdown, *([kwargs] if kwargs else []))
            ),
        )
    return queued


def test_a_batch_leaves_routing_and_the_queue_to_jobs(
    live_inbox, queued_jobs, django_capture_on_commit_callbacks, clock
):
    cache.clear()
    ana = AgentProfileFactory(display_name="Ana", live_capacity=1).user
    InboxMembershipFactory(inbox=live_inbox, agent=ana)
    with django_capture_on_commit_callbacks(execute=True):  # each write commits and routes
        agent_desk_connected(agent=ana, channel_name="desk.ana")
        taken = write(live_inbox)  # Ana takes it at once; the next ones wait
    [write(live_inbox) for _ in range(3)]
    assert Conversation.objects.get(pk=taken.pk).assignee_id == ana.pk
    clock.advance(minutes=10, seconds=1)  # all four idle past the timeout
    with django_capture_on_commit_callbacks(execute=True):
        agent_desk_connected(agent=ana, channel_name="desk.ana")  # Ana is still here, and full
    newcomer = write(live_inbox, "Still there?")  # waits behind nobody once the others end

    with django_capture_on_commit_callbacks(execute=True):
        assert services.live_sessions_expire() == 4

    assert Conversation.objects.get(pk=newcomer.pk).assignee_id is None  # no routing inside the batch
    assert sorted(queued_jobs) == [
        (tasks.announce_queue.name, [live_inbox.pk], SWEPT_QUEUE_SETTLE_SECONDS),
        (tasks.route_freed_agents.name, [[ana.pk]], None),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        tasks.route_freed_agents([ana.pk])  # the job, as a worker runs it
    assert Conversation.objects.get(pk=newcomer.pk).assignee_id == ana.pk


def test_the_queue_moved_by_many_batches_is_announced_once(
    live_inbox, queued_jobs, django_capture_on_commit_callbacks, clock
):
    cache.clear()
    [write(live_inbox) for _ in range(5)]
    clock.advance(minutes=10, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert [services.live_sessions_expire(batch_size=2) for _ in range(3)] == [2, 2, 1]
    assert queued_jobs == [(tasks.announce_queue.name, [live_inbox.pk], SWEPT_QUEUE_SETTLE_SECONDS)]


def test_the_task_queues_the_next_batch_after_a_pause_while_batches_are_full(
    live_inbox, queued_jobs, settings, clock
):
    [write(live_inbox) for _ in range(3)]
    clock.advance(minutes=10, seconds=1)
    assert services.live_sessions_expire_batch(batch_size=2) == services.ExpiryBatch(ended=2, more=True)
    assert services.live_sessions_expire_batch(batch_size=2) == services.ExpiryBatch(ended=1, more=False)

    [write(live_inbox) for _ in range(services.EXPIRY_BATCH_SIZE)]
    clock.advance(minutes=10, seconds=1)
    queued_jobs.clear()
    assert tasks.expire_live_sessions() == services.EXPIRY_BATCH_SIZE  # beat's run: a backlog shows
    next_runs = [job for job in queued_jobs if job[0] == tasks.expire_live_sessions.name]
    assert [(name, args, kwargs) for name, args, _, kwargs in next_runs] == [
        (tasks.expire_live_sessions.name, [], {"drains": 1})
    ] * services.EXPIRY_DRAINS
    assert all(countdown >= services.EXPIRY_PAUSE_SECONDS > 0 for _, _, countdown, _ in next_runs)

    [write(live_inbox) for _ in range(services.EXPIRY_BATCH_SIZE)]
    clock.advance(minutes=10, seconds=1)
    queued_jobs.clear()
    assert tasks.expire_live_sessions(drains=1) == services.EXPIRY_BATCH_SIZE  # a chain goes on alone
    chained = [job for job in queued_jobs if job[0] == tasks.expire_live_sessions.name]
    assert [(name, kwargs) for name, _, _, kwargs in chained] == [
        (tasks.expire_live_sessions.name, {"drains": 1})
    ]


def test_durable_subscribers_still_hear_the_resolve_and_the_unassignment(live_inbox, agent, clock):
    InboxMembershipFactory(inbox=live_inbox, agent=agent)
    conversation = write(live_inbox)
    services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)
    clock.advance(minutes=10, seconds=1)

    assert services.live_sessions_expire() == 1

    kinds = list(
        Fact.objects.filter(conversation_id=conversation.pk).order_by("pk").values_list("kind", "data")
    )
    assert (Fact.Kind.STATUS, {"status": "resolved", "previous": "open"}) in kinds
    assert (
        Fact.Kind.SESSION_ENDED,
        {"session": LiveSession.objects.get().pk, "reason": "inactivity"},
    ) in kinds
    last_assignment = [kind for kind, _ in kinds if kind == Fact.Kind.ASSIGNED]
    assert len(last_assignment) == 2  # to Ana, then unassigned by the end
    assert (
        Fact.objects.filter(conversation_id=conversation.pk, kind=Fact.Kind.ASSIGNED).last().agent_id is None
    )


@pytest.mark.django_db(transaction=True)
def test_a_conversation_busy_in_another_transaction_is_left_to_the_next_batch(clock):
    """The batch locks sessions and conversations in one read that skips what another
    transaction holds: it neither waits on a conversation a message is being written to nor
    ends it under that writer; the next run does."""
    inbox = InboxFactory(name="Live chat", mode="live", session_timeout=timedelta(minutes=10))
    busy, *others = [write(inbox) for _ in range(3)]
    clock.advance(minutes=10, seconds=1)
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with transaction.atomic():
            Conversation.objects.select_for_update().get(pk=busy.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        assert services.live_sessions_expire() == 2
    finally:
        release.set()
        holder.join()
    still_open = LiveSession.objects.filter(closed_at__isnull=True).values_list("conversation_id", flat=True)
    assert list(still_open) == [busy.pk]
    assert services.live_sessions_expire() == 1
    assert not LiveSession.objects.filter(closed_at__isnull=True).exists()
    assert {c.status for c in Conversation.objects.filter(pk__in=[busy.pk, *[o.pk for o in others]])} == {
        Conversation.Status.RESOLVED
    }


@pytest.mark.django_db(transaction=True)
def test_two_drains_side_by_side_each_take_their_own_batches_and_end_every_session_once(clock):
    inbox = InboxFactory(name="Live chat", mode="live", session_timeout=timedelta(minutes=10))
    due = [write(inbox) for _ in range(120)]
    clock.advance(minutes=10, seconds=1)
    swept_at = timezone.now()
    ended: dict[str, list[int]] = {"first": [], "second": []}
    start = threading.Barrier(2)

    def drain(name):
        start.wait(10)
        while True:
            batch = services.live_sessions_expire_batch(batch_size=10)
            ended[name].append(batch.ended)
            if not batch.more:
                break
        connection.close()

    drains = [threading.Thread(target=drain, args=(name,)) for name in ended]
    [thread.start() for thread in drains]
    [thread.join(60) for thread in drains]

    assert sum(ended["first"]) + sum(ended["second"]) == len(due)
    assert sum(ended["first"]) and sum(ended["second"])  # neither waited out the other's drain
    assert not LiveSession.objects.filter(closed_at__isnull=True).exists()
    lines = Message.objects.filter(conversation__in=due, is_private=True, created_at__gte=swept_at)
    assert lines.count() == len(due)  # one end line each: no session ended twice


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_batch_does_not_wait_for_its_commit_to_reach_the_disk_and_leaves_the_connection_as_it_was(
    clock,
):
    """A batch's commit returns before the WAL is flushed: a crash of Postgres right after could
    lose the last fraction of a second of ends, which the next sweep makes again (they are all
    still due). The setting is the batch's transaction's alone: what the connection does next
    (a customer's message, on the same worker) waits for the disk as before."""
    inbox = InboxFactory(name="Live chat", mode="live", session_timeout=timedelta(minutes=10))
    [write(inbox) for _ in range(2)]
    clock.advance(minutes=10, seconds=1)
    assert synchronous_commit() == "on"

    with transaction.atomic():  # as a caller's transaction would: the batch's setting lasts until it ends
        assert services.live_sessions_expire() == 2
        assert synchronous_commit() == "off"

    assert synchronous_commit() == "on"
    assert not LiveSession.objects.filter(closed_at__isnull=True).exists()
