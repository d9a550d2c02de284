"""Background drains (the expiry sweep, retention, the webhook receipts' drain:
tests/channels/test_receipts_low_priority.py) run each batch on a
thread of the lowest CPU priority, so the servers answering sockets and webhooks get the machine
first (conversations.pacing): the thread is really at nice 19 while its caller is not, results,
exceptions and committed writes come back, and a call made inside a transaction stays in it."""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.db import transaction

from conversations import pacing, services, tasks
from conversations.models import Conversation, LiveSession
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a nice value per thread is Linux's"),
]


class Boom(Exception):
    pass


def where_am_i() -> tuple[int, int]:
    return threading.get_native_id(), pacing.thread_nice()


def test_the_function_runs_at_the_lowest_priority_and_the_caller_keeps_its_own():
    caller_nice = pacing.thread_nice()
    thread_id, nice = pacing.at_low_priority(where_am_i).result
    assert thread_id != threading.get_native_id()
    assert nice == pacing.LOW_PRIORITY_NICE == 19
    assert pacing.thread_nice() == caller_nice < 19


def spin(seconds: float) -> None:
    """Keep a core busy for `seconds` of this thread's own CPU time."""
    started = time.thread_time()
    while time.thread_time() - started < seconds:
        pass


def test_on_a_busy_machine_the_thread_waits_for_a_core_longer_than_it_runs_and_the_sweep_rests():
    """Others at normal priority on every core, two to a core: the low-priority thread gets a sliver
    of one, so it waits for a core many times longer than it runs, and the expiry drain rests for it."""
    spinner = "print(flush=True)\nwhile True: pass"
    busy = [
        subprocess.Popen([sys.executable, "-c", spinner], stdout=subprocess.PIPE)
        for _ in range(2 * (os.cpu_count() or 1))
    ]
    try:
        for process in busy:  # each has started spinning: a slow start left a core idle for the thread
            process.stdout.readline()
        time.sleep(0.2)  # spread over the cores
        ran = pacing.at_low_priority(spin, seconds=0.02)
    finally:
        for process in busy:
            process.kill()
            process.wait()
            process.stdout.close()
    assert ran.cpu_seconds >= 0.02
    assert ran.waited_seconds > 3 * ran.cpu_seconds
    assert ran.contended_seconds == ran.waited_seconds - ran.cpu_seconds
    assert services.expiry_rest(ran) == pytest.approx(services.EXPIRY_BACKOFF * ran.contended_seconds)


def test_a_drain_that_waited_less_than_it_ran_only_pauses():
    quiet = pacing.Ran(result=None, cpu_seconds=0.017, waited_seconds=0.014)
    assert quiet.contended_seconds == 0
    assert services.expiry_rest(quiet) == services.EXPIRY_PAUSE_SECONDS


def test_results_exceptions_and_committed_writes_come_back():
    inbox = InboxFactory()

    def receive(body):
        if body == "boom":
            raise Boom
        return services.message_receive(inbox=inbox, contact=ContactFactory(), body=body).conversation_id

    conversation_id = pacing.at_low_priority(receive, body="hello").result
    assert Conversation.objects.get(pk=conversation_id).last_seq == 1  # committed, seen from here
    with pytest.raises(Boom):
        pacing.at_low_priority(receive, body="boom")


def test_inside_a_transaction_it_runs_in_that_transaction():
    inbox = InboxFactory()
    with pytest.raises(Boom), transaction.atomic():
        conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="hi").conversation
        thread_id, _ = pacing.at_low_priority(where_am_i).result
        assert thread_id == threading.get_native_id()  # it sees the uncommitted conversation too
        assert pacing.at_low_priority(lambda: Conversation.objects.filter(pk=conversation.pk).exists()).result
        raise Boom
    assert not Conversation.objects.exists()


def test_the_expiry_task_ends_due_sessions_from_a_low_priority_thread(clock, nice_of_durable_hand_overs):
    inbox = InboxFactory(mode="live", session_timeout=timedelta(minutes=10))
    for _ in range(3):
        services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hello?")
    clock.advance(minutes=10, seconds=1)
    nice_of_durable_hand_overs.clear()  # the messages' own, heard here
    assert tasks.expire_live_sessions(drains=1) == 3
    assert nice_of_durable_hand_overs == [19]  # the batch's events, handed over on the drain's thread
    assert not LiveSession.objects.filter(closed_at__isnull=True).exists()
