"""Providers redeliver webhooks, one after another and all at once: each webhook test replays its
fixture both ways and expects exactly one message and one announcement."""

import threading
from collections.abc import Callable

from django.db import connection
from django.http import HttpResponse
from django.test import Client

from channels_in.models import WebhookReceipt
from conversations import events
from conversations.models import Conversation, Message

TIMES = 3


def replay_concurrently(post: Callable[[Client], HttpResponse], times: int = TIMES) -> list[int]:
    """`post` the same webhook from `times` threads released together; their answers' statuses."""
    start = threading.Barrier(times)
    answers: list[int] = []

    def replay() -> None:
        start.wait()
        try:
            answers.append(post(Client()).status_code)
        finally:
            connection.close()  # each thread's own connection, so the test database can be dropped

    threads = [threading.Thread(target=replay) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def assert_stored_once(inbox, answers: list[int], listener) -> None:
    assert answers == [200] * TIMES
    assert Message.objects.filter(inbox=inbox).count() == 1
    assert Conversation.objects.filter(inbox=inbox).count() == 1
    assert WebhookReceipt.objects.filter(inbox=inbox).count() == 1
    created = [e for e in listener.receive_all() if e["type"] == events.MESSAGE_CREATED]
    assert len(created) == 1
